/**
 * Deciding, for a page of source entries, what the sync does with each (add, update,
 * leave alone, or report as failed); recording a synced item's stamp once its upload
 * finished; and pruning managed items the source dropped. Plain functions on the REST
 * client; activities/sync/index.ts makes them activities.
 *
 * An item is left alone (unchanged) only if all of these hold, so no path takes a stale
 * or half-written item for current:
 * 1. it carries this source's stamp, and not a pending one (its last upload completed);
 * 2. its file list (names, sizes, checksums where reported) and content version are what
 *    they were right after that upload (`t`, `cv`): nobody changed it since;
 * 3. the source's cheap change key is the stamp's (`v`), or else the source files' SHA-1s,
 *    read now, are the ones that were uploaded (`fp`).
 */
import type { SyncIgnored, SyncSource } from '../../workflows/definitions/sync';
import type { UploadSource } from '../../workflows/definitions/upload';
import { redactUrlSecrets } from '../../workflows/definitions/url-secrets';
import { isContentLibraryError, type ContentLibraryClient, type ItemFileInfo } from '../content-library';
import { permanent } from '../failures';
import { currentFiles } from '../relay-file';
import type { SourceReader, UrlCheck } from './sources';
import {
  contentDigest,
  formatStamp,
  parseStamp,
  targetDigest,
  type ExpectedFile,
  type SyncStamp,
} from './stamp';

export interface PlanSyncBatchRequest {
  /** The target. */
  vcenter: string;
  libraryId: string;
  source: SyncSource;
  /** The source's identity (syncSourceKey). */
  sourceKey: string;
  /** A library source's id on its own vCenter. */
  sourceLibraryId?: string;
  /** The last key of the previous page; absent for the first. */
  after?: string;
  limit: number;
  /** Read catalog files to compare SHA-1s even when their change key is unchanged. */
  checksum: boolean;
  /** List the source's ignored entries (the first page does). */
  listIgnored: boolean;
}

interface EntryBase {
  key: string;
  name: string;
}
/** What the sync will do with one source entry. */
export type SyncPlanEntry =
  | (EntryBase & {
      action: 'add';
      upload: UploadSource;
      type?: string;
      version: string;
      files: ExpectedFile[];
      /** The pending stamp a new item is created with. */
      description: string;
      verify?: UrlCheck;
    })
  | (EntryBase & {
      action: 'update';
      itemId: string;
      upload: UploadSource;
      version: string;
      files: ExpectedFile[];
      reason: string;
      verify?: UrlCheck;
    })
  | (EntryBase & { action: 'unchanged'; itemId: string; restamped: boolean })
  | (EntryBase & { action: 'failed'; reason: string; type: string })
  | (EntryBase & { action: 'ignored'; reason: string });

export interface PlanSyncBatchResult {
  entries: SyncPlanEntry[];
  /** The key to continue after; absent on the last page. */
  next?: string;
  ignored: SyncIgnored[];
  /** Entries in the whole source. */
  total: number;
}

interface TargetItem {
  id: string;
  description?: string;
  contentVersion?: string;
  files: ItemFileInfo[];
}

/** The item named exactly `name` in the library (find may match case-insensitively). */
async function findTarget(
  client: ContentLibraryClient,
  libraryId: string,
  name: string,
): Promise<TargetItem | undefined> {
  for (const id of await client.findLibraryItems({ library_id: libraryId, name })) {
    try {
      const item = await client.getLibraryItem(id);
      if (item.name !== name || item.library_id !== libraryId) continue;
      return {
        id,
        ...(item.description !== undefined ? { description: item.description } : {}),
        ...(item.content_version ? { contentVersion: item.content_version } : {}),
        files: await client.listLibraryItemFiles(id),
      };
    } catch (err) {
      if (!(isContentLibraryError(err) && err.code === 'NOT_FOUND')) throw err;
    }
  }
  return undefined;
}

/** Plans one page of the source: up to `limit` entries after `after`. */
export async function planSyncBatch(
  target: ContentLibraryClient,
  reader: SourceReader,
  req: PlanSyncBatchRequest,
  onProgress: () => void,
): Promise<PlanSyncBatchResult> {
  const keys = await reader.keys();
  const after = req.after;
  const start = after === undefined ? 0 : keys.findIndex((k) => k > after);
  const page = start < 0 ? [] : keys.slice(start, start + req.limit);
  const more = start >= 0 && start + req.limit < keys.length;
  const entries: SyncPlanEntry[] = [];
  for (const key of page) {
    onProgress();
    entries.push(await decide(target, reader, req, key, onProgress));
  }
  return {
    entries,
    ...(more ? { next: page[page.length - 1]! } : {}),
    ignored: req.listIgnored ? await reader.ignored() : [],
    total: keys.length,
  };
}

async function decide(
  target: ContentLibraryClient,
  reader: SourceReader,
  req: PlanSyncBatchRequest,
  key: string,
  onProgress: () => void,
): Promise<SyncPlanEntry> {
  const c = await reader.describe(key);
  const base = { key, name: c.name };
  if (c.ignore) return { ...base, action: 'ignored', reason: c.ignore };
  if (c.error) return { ...base, action: 'failed', ...c.error };
  const upload = c.upload!;
  const version = c.version!;
  const files = c.files!;
  const verify = c.verify ? { verify: c.verify } : {};

  const item = await findTarget(target, req.libraryId, c.name);
  if (!item) {
    return {
      ...base,
      action: 'add',
      upload,
      ...(c.type ? { type: c.type } : {}),
      version,
      files,
      description: formatStamp({ src: req.sourceKey, pending: true }),
      ...verify,
    };
  }
  const update = (reason: string, known: ExpectedFile[] = files): SyncPlanEntry => ({
    ...base,
    action: 'update',
    itemId: item.id,
    upload,
    version,
    files: known,
    reason,
    ...verify,
  });
  const stamp = parseStamp(item.description);
  if (!stamp) {
    return {
      ...base,
      action: 'failed',
      type: 'NotManaged',
      reason: `the library already has an item "${c.name}" that clo sync does not manage; rename or delete it, or sync into another library`,
    };
  }
  if (stamp.src !== req.sourceKey) {
    return {
      ...base,
      action: 'failed',
      type: 'ManagedElsewhere',
      // An older stamp may name an index URL with its credentials: never repeat them.
      reason: `item "${c.name}" is managed by another sync source (${redactUrlSecrets(stamp.src)})`,
    };
  }
  if ('pending' in stamp) return update('its last sync did not finish');
  if (stamp.t !== targetDigest(item.files))
    return update('its files in the library changed since the last sync');
  if (stamp.cv && item.contentVersion && stamp.cv !== item.contentVersion) {
    return update(
      `its content version in the library changed since the last sync (${stamp.cv} → ${item.contentVersion})`,
    );
  }
  const sourceChanged = stamp.v !== version;
  if (!sourceChanged && !(req.checksum && c.content))
    return { ...base, action: 'unchanged', itemId: item.id, restamped: false };

  const content = c.content ? await c.content(onProgress) : undefined;
  const fp = content && contentDigest(content);
  if (fp !== undefined && fp === stamp.fp) {
    // Touched, copied with a new inode, or re-listed under a new version, but the same bytes: no transfer, a fresh key.
    if (sourceChanged)
      await target.updateLibraryItem(item.id, { description: formatStamp({ ...stamp, v: version }) });
    return { ...base, action: 'unchanged', itemId: item.id, restamped: sourceChanged };
  }
  return update(
    sourceChanged ? 'the source changed' : 'the source content differs from what was synced',
    content ?? files,
  );
}

export interface RecordSyncedItemRequest {
  vcenter: string;
  itemId: string;
  sourceKey: string;
  version: string;
  /** The files as uploaded, with the SHA-1s computed while they streamed. */
  files: ExpectedFile[];
}

/**
 * Checks that the item now holds the files the sync sent (names and sizes, and SHA-1s
 * where the server reports them) and writes its stamp. A mismatch fails the item
 * (`TargetMismatch`) with no stamp written, so the next sync sends it again.
 */
export async function recordSyncedItem(
  client: ContentLibraryClient,
  req: RecordSyncedItemRequest,
): Promise<SyncStamp> {
  const item = await client.getLibraryItem(req.itemId);
  const listed = await client.listLibraryItemFiles(req.itemId);
  const byName = new Map(currentFiles(listed).map((f) => [f.name, f]));
  for (const f of req.files) {
    const got = byName.get(f.name);
    const sha1 =
      got?.checksum_info && (got.checksum_info.algorithm ?? 'SHA1') === 'SHA1'
        ? got.checksum_info.checksum.toLowerCase()
        : undefined;
    if (!got || got.size !== f.size || (sha1 && f.sha1 && sha1 !== f.sha1.toLowerCase())) {
      throw permanent(
        'TargetMismatch',
        `after the upload, ${f.name} in item ${req.itemId} is ${got ? `${got.size} bytes${sha1 ? ` with SHA-1 ${sha1}` : ''}` : 'missing'}, ` +
          `but ${f.size} bytes${f.sha1 ? ` with SHA-1 ${f.sha1}` : ''} were sent`,
      );
    }
  }
  const fp = contentDigest(req.files);
  const stamp: SyncStamp = {
    src: req.sourceKey,
    v: req.version,
    t: targetDigest(listed),
    ...(fp ? { fp } : {}),
    ...(item.content_version ? { cv: item.content_version } : {}),
  };
  await client.updateLibraryItem(req.itemId, { description: formatStamp(stamp) });
  return stamp;
}

export interface PruneSyncBatchRequest {
  vcenter: string;
  libraryId: string;
  source: SyncSource;
  sourceKey: string;
  sourceLibraryId?: string;
  limit: number;
  /** Item ids whose deletion failed earlier in this sync: not tried again. */
  skip: string[];
}

export interface PruneSyncBatchResult {
  removed: { name: string; id: string }[];
  failed: { name: string; id: string; reason: string }[];
  /** More items remain to be pruned. */
  more: boolean;
  /** Why nothing was pruned. */
  refused?: string;
}

/** Deletes up to `limit` items this source manages that the source no longer has. */
export async function pruneSyncBatch(
  client: ContentLibraryClient,
  reader: SourceReader,
  req: PruneSyncBatchRequest,
  onProgress: () => void,
): Promise<PruneSyncBatchResult> {
  const names = await reader.names();
  if (names.size === 0) {
    // An unmounted share or an empty index looks exactly like this; deleting everything would be the wrong guess.
    return {
      removed: [],
      failed: [],
      more: false,
      refused: 'the source has no items at all, so nothing was pruned (an unmounted share looks the same)',
    };
  }
  const skip = new Set(req.skip);
  const doomed: { name: string; id: string }[] = [];
  for (const id of await client.listLibraryItems(req.libraryId)) {
    onProgress();
    if (skip.has(id)) continue;
    try {
      const item = await client.getLibraryItem(id);
      if (parseStamp(item.description)?.src === req.sourceKey && !names.has(item.name))
        doomed.push({ name: item.name, id });
    } catch (err) {
      if (!(isContentLibraryError(err) && err.code === 'NOT_FOUND')) throw err;
    }
  }
  const removed: PruneSyncBatchResult['removed'] = [];
  const failed: PruneSyncBatchResult['failed'] = [];
  for (const victim of doomed.slice(0, req.limit)) {
    onProgress();
    try {
      await client.deleteLibraryItem(victim.id);
      removed.push(victim);
    } catch (err) {
      if (isContentLibraryError(err) && err.code === 'NOT_FOUND') removed.push(victim);
      else failed.push({ ...victim, reason: (err as Error).message });
    }
  }
  return { removed, failed, more: doomed.length > req.limit };
}
