/**
 * The upload saga's `library-item` source: an item of a library on a configured vCenter
 * (the same or another) copied file by file into the update session, each file one
 * stream through the worker: download endpoint → SHA-1 → upload endpoint. Nothing
 * touches the worker's disk and memory holds a few chunks whatever the size, because
 * the GET body is consumed only as fast as the PUT accepts it.
 *
 * Each relay opens its own download session on the source, keeps it alive while the
 * bytes flow, and deletes it when done (or, after a crash, on the next attempt, which
 * finds its id in the heartbeat details). A download session snapshots the item's
 * content version, and the plan recorded the version it saw: a relay that finds another
 * one fails (`SourceChanged`) instead of mixing files of two versions into one item.
 */
import { randomUUID } from 'node:crypto';
import { activityInfo, cancellationSignal, sleep } from '@temporalio/activity';
import type { UploadSource } from '../workflows/definitions/upload';
import {
  isContentLibraryError,
  type ContentLibraryClient,
  type TransferEndpoint,
  type UpdateSessionFileInfo,
} from './content-library';
import { permanent, sessionGone } from './failures';
import { heartbeatEvery } from './heartbeat-while';
import {
  createDigester,
  SourceError,
  type PlannedFile,
  type PlannedRelayFile,
  type SourcePlan,
} from './sources';
import { unsafeNameReason } from './sources/names';
import {
  fileOnServer,
  HEARTBEAT_EVERY_MS,
  type FileTransferResult,
  type TransferHeartbeat,
} from './upload-file';
import type { VCenterClients } from './vcenter-clients';

/** A relay's heartbeat: the transfer's progress plus the source download session, for the next attempt to clean up. */
export interface RelayHeartbeat extends TransferHeartbeat {
  downloadSessionId?: string;
}

/** Download sessions expire after minutes without a call; a keep-alive a minute keeps one alive through any transfer. */
const KEEP_ALIVE_EVERY_MS = 60_000;

/** Descriptor first, then manifest and certificate, then the rest by name: the order an OVF package is uploaded in. */
function uploadRank(name: string): number {
  const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
  const i = ['ovf', 'mf', 'cert'].indexOf(ext ?? '');
  return i === -1 ? 3 : i;
}

/** Item files by name; vcsim lists a file once per upload, the last entry being the current one. */
export function currentFiles<F extends { name: string }>(files: readonly F[]): F[] {
  const byName = new Map<string, F>();
  for (const f of files) byName.set(f.name, f);
  return [...byName.values()];
}

/** Plans `{ kind: 'library-item' }`: the source item's files, sizes and content version, checked before any session exists. */
export async function planLibraryItemSource(
  client: ContentLibraryClient,
  source: Extract<UploadSource, { kind: 'library-item' }>,
): Promise<SourcePlan> {
  let item;
  try {
    item = await client.getLibraryItem(source.itemId);
  } catch (err) {
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') {
      throw new SourceError(
        'SOURCE_NOT_FOUND',
        `source item ${source.itemId} does not exist on vCenter "${source.vcenter}"`,
      );
    }
    throw err;
  }
  const listed = currentFiles(await client.listLibraryItemFiles(source.itemId));
  if (listed.length === 0) {
    throw new SourceError(
      'SOURCE_NOT_FOUND',
      `source item ${item.name} (${source.itemId}) on vCenter "${source.vcenter}" has no files to copy (a VM template has none)`,
    );
  }
  for (const f of listed) {
    if (!f.cached) {
      throw new SourceError(
        'SOURCE_NOT_FOUND',
        `source item ${item.name} has file ${f.name} not cached on vCenter "${source.vcenter}" (a subscribed library that downloads on demand); sync that item there first`,
      );
    }
    const why = unsafeNameReason(f.name);
    if (why)
      throw new SourceError(
        'NAME_INVALID',
        `source item ${item.name} has a file named ${JSON.stringify(f.name)}, which ${why}`,
      );
  }
  listed.sort(
    (a, b) => uploadRank(a.name) - uploadRank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const files: PlannedRelayFile[] = listed.map((f) => ({
    name: f.name,
    size: f.size,
    origin: {
      kind: 'library-item',
      vcenter: source.vcenter,
      itemId: source.itemId,
      fileName: f.name,
      ...(item.content_version ? { contentVersion: item.content_version } : {}),
    },
  }));
  const type = item.type?.toLowerCase();
  return {
    kind: 'library-item',
    itemType: type === 'ovf' || type === 'iso' ? type : 'file',
    displayName: `${source.vcenter}:${item.name}`,
    files,
    totalBytes: files.reduce((sum, f) => sum + f.size, 0),
  };
}

/** Deletes a download session; one already gone is fine. */
async function endDownloadSession(client: ContentLibraryClient, id: string): Promise<void> {
  await client.deleteDownloadSession(id).catch(() => undefined);
}

/** A download session that vanished (expired) is worth another attempt with a new one. */
function onDownloadSession<T>(id: string, call: () => Promise<T>): Promise<T> {
  return call().catch((err: unknown) => {
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') {
      throw new Error(
        `source download session ${id} is gone (expired or deleted); the next attempt opens a new one`,
      );
    }
    throw err;
  });
}

export function relayFileActivities(vcenters: VCenterClients) {
  return {
    /** Relays one file of a library item on a source vCenter into the update session, as one stream through the worker. */
    async relayFile(vcenter: string, sessionId: string, file: PlannedFile): Promise<FileTransferResult> {
      const origin = file.origin;
      if (origin.kind !== 'library-item')
        throw permanent('InvalidPlan', `${file.name} is not a library item file`);
      const size = file.size ?? 0;
      const { attempt } = activityInfo();
      const heartbeatDetails: unknown = activityInfo().heartbeatDetails;
      const target = vcenters.get(vcenter);
      const source = vcenters.get(origin.vcenter);
      const signal = cancellationSignal();
      const progress: RelayHeartbeat = { name: file.name, bytesSent: 0, size, attempt };
      const beats = heartbeatEvery(() => ({ ...progress }), HEARTBEAT_EVERY_MS);
      const relay = async (): Promise<FileTransferResult> => {
        // An attempt that died (worker killed) could not delete its download session: do it now.
        const previous = (heartbeatDetails as RelayHeartbeat | undefined)?.downloadSessionId;
        if (previous) await endDownloadSession(source, previous);

        // Only a file this session received counts: the list also shows the item's untouched files (source_type NONE).
        const listed = await fileOnServer(target, sessionId, file.name);
        const existing = listed?.source_type === 'PUSH' ? listed : undefined;
        if (
          existing &&
          existing.status === 'READY' &&
          (existing.size ?? existing.bytes_transferred) === size
        ) {
          return { name: file.name, size, bytesSent: 0, resent: false, skipped: true };
        }
        const resent = attempt > 1 && existing !== undefined;

        const downloadSessionId = await source.createDownloadSession(
          { library_item_id: origin.itemId },
          randomUUID(),
        );
        // At once, not at the next tick: a worker killed now leaves the next attempt this id to delete.
        progress.downloadSessionId = downloadSessionId;
        beats.beat();
        const keepAlive = setInterval(() => {
          const percent = size ? Math.min(99, Math.floor((progress.bytesSent / size) * 100)) : undefined;
          source.keepAliveDownloadSession(downloadSessionId, percent).catch(() => undefined);
        }, KEEP_ALIVE_EVERY_MS);
        keepAlive.unref();
        try {
          const session = await onDownloadSession(downloadSessionId, async () =>
            source.getDownloadSession(downloadSessionId),
          );
          if (
            origin.contentVersion &&
            session.library_item_content_version &&
            session.library_item_content_version !== origin.contentVersion
          ) {
            throw permanent(
              'SourceChanged',
              `source item ${origin.itemId} changed after it was planned (content version ${origin.contentVersion} → ${session.library_item_content_version}); plan again`,
            );
          }
          const endpoint = await prepared(source, downloadSessionId, origin.fileName, signal);

          let info: UpdateSessionFileInfo;
          try {
            info = await target.addUpdateSessionFile(sessionId, {
              name: file.name,
              source_type: 'PUSH',
              size,
            });
          } catch (err) {
            if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
            throw err;
          }
          if (!info.upload_endpoint)
            throw permanent('NoUploadEndpoint', `the server gave no upload endpoint for ${file.name}`);

          const download = await onDownloadSession(downloadSessionId, async () =>
            source.downloadFromEndpoint(endpoint, { signal }),
          );
          if (download.contentLength !== undefined && download.contentLength !== size) {
            download.body.destroy();
            throw permanent(
              'SourceChanged',
              `source file ${origin.fileName} is ${download.contentLength} bytes, but ${size} were planned; plan again`,
            );
          }
          const digester = createDigester(['SHA1' as const]);
          async function* hashed(): AsyncGenerator<Uint8Array> {
            for await (const chunk of download.body as AsyncIterable<Buffer>) {
              digester.update(chunk);
              yield chunk;
            }
          }
          let sent;
          try {
            sent = await target.uploadToEndpoint(info.upload_endpoint, hashed(), {
              size,
              signal,
              onProgress: (n) => (progress.bytesSent = n),
            });
          } catch (err) {
            if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
            throw err;
          } finally {
            // Consumed already on success; on failure this releases the source connection.
            download.body.destroy();
          }
          if (sent.bytes !== size)
            throw new Error(`relayed ${sent.bytes} of ${size} bytes of ${file.name}; the source ended early`);
          const after = await fileOnServer(target, sessionId, file.name);
          if (after?.status === 'ERROR') {
            throw new Error(
              `the server marked ${file.name} as ERROR after the upload: ${after.error_message?.default_message ?? 'no reason given'}`,
            );
          }
          return {
            name: file.name,
            size,
            sha1: digester.digests().SHA1,
            bytesSent: sent.bytes,
            resent,
            skipped: false,
          };
        } finally {
          clearInterval(keepAlive);
          await endDownloadSession(source, downloadSessionId);
        }
      };
      try {
        return await relay();
      } finally {
        beats.stop();
      }
    },
  };
}

/** Prepares a file of a download session and waits (the relay's timer heartbeats) until its endpoint is usable. */
async function prepared(
  client: ContentLibraryClient,
  sessionId: string,
  fileName: string,
  signal: AbortSignal,
): Promise<TransferEndpoint> {
  let info = await onDownloadSession(sessionId, async () =>
    client.prepareDownloadSessionFile(sessionId, fileName),
  );
  for (let delay = 100; info.status !== 'PREPARED'; delay = Math.min(delay * 2, 5000)) {
    if (info.status === 'ERROR') {
      // Retryable: the next attempt asks again in a new session.
      throw new Error(
        `the source could not prepare ${fileName}: ${info.error_message?.default_message ?? 'no reason given'}`,
      );
    }
    await sleep(delay);
    if (signal.aborted) throw signal.reason;
    info = await onDownloadSession(sessionId, async () => client.getDownloadSessionFile(sessionId, fileName));
  }
  if (!info.download_endpoint)
    throw new Error(`the source prepared ${fileName} but gave no download endpoint`);
  return info.download_endpoint;
}
