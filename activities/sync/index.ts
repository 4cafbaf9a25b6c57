/**
 * The sync workflow's activities: plan a page of the source against the target library,
 * record a synced item's stamp, prune, and check an index file before it is pulled.
 * Planning and pruning heartbeat (hashing a catalog file may take minutes).
 */
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { AllowedPaths } from '../allowed-paths';
import { permanent } from '../failures';
import type { VCenterClients } from '../vcenter-clients';
import { digestUrl } from './http-index';
import {
  planSyncBatch,
  pruneSyncBatch,
  recordSyncedItem,
  type PlanSyncBatchRequest,
  type PlanSyncBatchResult,
  type PruneSyncBatchRequest,
  type PruneSyncBatchResult,
  type RecordSyncedItemRequest,
} from './plan';
import { sourceReader, type UrlCheck } from './sources';
import type { SyncStamp } from './stamp';

export type {
  PlanSyncBatchRequest,
  PlanSyncBatchResult,
  PruneSyncBatchRequest,
  PruneSyncBatchResult,
  RecordSyncedItemRequest,
  SyncPlanEntry,
} from './plan';
export type { UrlCheck } from './sources';
export type { ExpectedFile, SyncStamp } from './stamp';

/** A heartbeat at most once a second, for loops that call it per chunk. */
function throttledHeartbeat(): () => void {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    heartbeat();
  };
}

export function syncActivities(vcenters: VCenterClients, allowed: AllowedPaths = new AllowedPaths()) {
  const readerFor = (req: { source: PlanSyncBatchRequest['source']; sourceLibraryId?: string }) =>
    sourceReader(
      req.source,
      req.source.kind === 'library' && req.sourceLibraryId
        ? { client: vcenters.get(req.source.vcenter), libraryId: req.sourceLibraryId }
        : undefined,
      allowed,
    );
  return {
    /** Decides add / update / unchanged / failed for one page of source entries. */
    async planSyncBatch(req: PlanSyncBatchRequest): Promise<PlanSyncBatchResult> {
      heartbeat();
      return await planSyncBatch(vcenters.get(req.vcenter), readerFor(req), req, throttledHeartbeat());
    },

    /** Checks the uploaded item against what was sent and writes its sync stamp. */
    async recordSyncedItem(req: RecordSyncedItemRequest): Promise<SyncStamp> {
      return await recordSyncedItem(vcenters.get(req.vcenter), req);
    },

    /** Deletes up to `limit` managed items the source no longer has. */
    async pruneSyncBatch(req: PruneSyncBatchRequest): Promise<PruneSyncBatchResult> {
      heartbeat();
      return await pruneSyncBatch(vcenters.get(req.vcenter), readerFor(req), req, throttledHeartbeat());
    },

    /**
     * Streams an index file once and checks the SHA-256 and size the index promised;
     * returns its SHA-1, which the vCenter's pull is then verified against.
     */
    async verifyIndexFile(check: UrlCheck): Promise<{ sha1: string }> {
      const beat = throttledHeartbeat();
      heartbeat();
      const got = await digestUrl(check.url, {
        ...(check.sslCertificateThumbprint ? { thumbprint: check.sslCertificateThumbprint } : {}),
        signal: cancellationSignal(),
        onProgress: beat,
      });
      if (got.size !== check.size || got.sha256 !== check.sha256.toLowerCase()) {
        throw permanent(
          'ChecksumMismatch',
          `${check.url} serves ${got.size} bytes with SHA-256 ${got.sha256}, but the index says ${check.size} bytes with SHA-256 ${check.sha256}`,
        );
      }
      return { sha1: got.sha1 };
    },
  };
}
