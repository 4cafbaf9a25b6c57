/**
 * The transfer activities of the upload saga: one per file, heartbeating.
 *
 * PUSH streams the bytes from disk (a whole file, or a member of an OVA as a byte
 * range of the archive) through the hashes into the PUT, so memory stays flat
 * whatever the size. A retry (after a crash or a reset) first asks the server what it
 * already has: a file it reports READY with the right size is not sent again; a
 * partial one is re-added, which resets it, and sent again.
 */
import { activityInfo, cancellationSignal, sleep } from '@temporalio/activity';
import { AllowedPaths } from './allowed-paths';
import {
  isContentLibraryError,
  redactString,
  type ContentLibraryClient,
  type UpdateSessionFileInfo,
} from './content-library';
import { permanent, sessionGone } from './failures';
import { heartbeatEvery } from './heartbeat-while';
import { byteCounter, recordThroughput } from './metrics';
import { sourceEndpointCertificate } from './content-library/tls';
import { createDigester, readRange, type DigestAlgorithm, type PlannedFile } from './sources';
import type { VCenterClients } from './vcenter-clients';

/** What one file transfer did, as the saga reports it. */
export interface FileTransferResult {
  name: string;
  size: number;
  sha1?: string;
  bytesSent: number;
  /** A retry found the file partial on the server and sent it again. */
  resent: boolean;
  /** A retry found the file complete on the server and did not send it. */
  skipped: boolean;
}

/** Live progress in the heartbeat details, which the Web UI shows on the pending activity. */
export interface TransferHeartbeat {
  name: string;
  bytesSent: number;
  size: number;
  attempt: number;
}

/** Options of `pushFile`, decided by the workflow. */
export interface PushFileOptions {
  /** Compute the file's SHA-1 while sending and report it in the result. */
  sha1: boolean;
}

const MiB = 1024 * 1024;

/** How often a transfer heartbeats (with its bytes so far), on a timer: see heartbeat-while.ts. */
export const HEARTBEAT_EVERY_MS = 1000;

/** The session's entry for file `name`, if any; a session the server no longer knows is `SessionGone`. */
export async function fileOnServer(
  client: ContentLibraryClient,
  sessionId: string,
  name: string,
): Promise<UpdateSessionFileInfo | undefined> {
  try {
    return (await client.listUpdateSessionFiles(sessionId)).find((f) => f.name === name);
  } catch (err) {
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') {
      throw sessionGone(sessionId);
    }
    throw err;
  }
}

export function uploadFileActivities(vcenters: VCenterClients, allowed: AllowedPaths = new AllowedPaths()) {
  return {
    /**
     * Adds one file to the session as PUSH and streams its bytes to the upload endpoint, hashing
     * them only where something checks the digest: the manifest's algorithm (checked here, and
     * SHA-1 by the server too), and SHA-1 when `opts.sha1` asks for it in the result.
     */
    async pushFile(
      vcenter: string,
      sessionId: string,
      file: PlannedFile,
      // Absent when scheduled by a workflow that predates it, which promised a SHA-1 per file.
      opts: PushFileOptions = { sha1: true },
    ): Promise<FileTransferResult> {
      const origin = file.origin;
      if (origin.kind !== 'file') throw permanent('InvalidPlan', `${file.name} is not a local file`);
      // Planning checked it already, maybe on another worker: this worker's roots are what count
      // here, and they may be narrower (or the file replaced by a link) since.
      await allowed.checkReadFile(origin.path, `source file ${file.name}`);
      const size = origin.length;
      const { attempt } = activityInfo();
      const client = vcenters.get(vcenter);
      const signal = cancellationSignal();
      const count = byteCounter('upload');
      const progress: TransferHeartbeat = { name: file.name, bytesSent: 0, size, attempt };
      const beats = heartbeatEvery(() => {
        count(progress.bytesSent);
        return { ...progress };
      }, HEARTBEAT_EVERY_MS);
      const push = async (): Promise<FileTransferResult> => {
        // Only a file this session received counts: the list also shows the item's untouched files (source_type NONE).
        // A first attempt has sent nothing into this session yet, so it does not ask (one call less
        // per file); should the name be there after all (a reset run), the add below resets it.
        const existing = attempt > 1 ? await fileOnServer(client, sessionId, file.name) : undefined;
        const added = existing?.source_type === 'PUSH' ? existing : undefined;
        if (added && added.status === 'READY' && (added.size ?? added.bytes_transferred) === size) {
          return { name: file.name, size: size, bytesSent: 0, resent: false, skipped: true };
        }
        const resent = attempt > 1 && added !== undefined;

        const sha1 = file.manifest?.algorithm === 'SHA1' ? file.manifest.hex.toLowerCase() : undefined;
        let info: UpdateSessionFileInfo;
        try {
          info = await client.addUpdateSessionFile(sessionId, {
            name: file.name,
            source_type: 'PUSH',
            size: size,
            ...(sha1 ? { checksum_info: { algorithm: 'SHA1', checksum: sha1 } } : {}),
          });
        } catch (err) {
          if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
          throw err;
        }
        if (!info.upload_endpoint) {
          throw permanent('NoUploadEndpoint', `the server gave no upload endpoint for ${file.name}`);
        }

        // SHA-1 costs ~0.7 s of CPU per GiB, more than reading and sending the bytes together:
        // computed only when a manifest or the caller will look at it (createDigester hashes a duplicate once).
        const algorithms: DigestAlgorithm[] = [
          ...(opts.sha1 ? ['SHA1' as const] : []),
          ...(file.manifest ? [file.manifest.algorithm] : []),
        ];
        const digester = algorithms.length ? createDigester(algorithms) : undefined;
        // Chunks come from a small ring of reused buffers: each is hashed, then sent, and done
        // with before the next is read (see readRange and UploadBody).
        // Unhashed, 2 MiB reads cost ~0.15–0.25 s less CPU per GiB than 1 MiB (fewer reads, writes and
        // turns of the loop; docs/benchmarks.md); hashed, chunks stay at 1 MiB, which measured
        // faster than larger ones (the hash and the send then read the chunk from the CPU's cache).
        const chunkSize = digester ? MiB : 2 * MiB;
        const source = readRange(origin.path, origin.offset, origin.length, { signal, chunkSize });
        const started = Date.now();
        async function* hashed(): AsyncGenerator<Uint8Array> {
          for await (const chunk of source) {
            digester!.update(chunk);
            yield chunk;
          }
        }
        const sent = await client
          .uploadToEndpoint(info.upload_endpoint, digester ? hashed() : source, {
            size,
            signal,
            onProgress: (n) => (progress.bytesSent = n),
          })
          .catch((err: unknown) => {
            if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
            throw err;
          });
        const digests: Partial<Record<DigestAlgorithm, string>> = digester?.digests() ?? {};
        if (sent.bytes !== size) {
          throw new Error(
            `sent ${sent.bytes} of ${size} bytes of ${file.name}; the source changed while reading`,
          );
        }
        if (file.manifest) {
          const actual = digests[file.manifest.algorithm];
          if (actual?.toLowerCase() !== file.manifest.hex.toLowerCase()) {
            throw permanent(
              'ChecksumMismatch',
              `${file.name}: ${file.manifest.algorithm} is ${actual}, but the manifest says ${file.manifest.hex}`,
              { name: file.name },
            );
          }
        }
        // The server may judge the bytes itself (size, checksum); an ERROR here is worth one more try.
        const after = await fileOnServer(client, sessionId, file.name);
        if (after?.status === 'ERROR') {
          throw new Error(
            `the server marked ${file.name} as ERROR after the upload: ${after.error_message?.default_message ?? 'no reason given'}`,
          );
        }
        count(sent.bytes);
        recordThroughput('upload', sent.bytes, (Date.now() - started) / 1000);
        return {
          name: file.name,
          size: size,
          ...(digests.SHA1 ? { sha1: digests.SHA1 } : {}),
          bytesSent: sent.bytes,
          resent,
          skipped: false,
        };
      };
      try {
        return await push();
      } finally {
        beats.stop();
      }
    },

    /** Adds one file as PULL (the server fetches the URL) and waits, heartbeating, until it is READY. */
    async pullFile(vcenter: string, sessionId: string, file: PlannedFile): Promise<FileTransferResult> {
      if (file.origin.kind !== 'url') throw permanent('InvalidPlan', `${file.name} is not a URL`);
      const origin = file.origin;
      const client = vcenters.get(vcenter);
      const signal = cancellationSignal();
      // The poll below sleeps up to 5 s between looks, longer than a short heartbeat timeout.
      const progress: TransferHeartbeat = {
        name: file.name,
        bytesSent: 0,
        size: file.size ?? 0,
        attempt: activityInfo().attempt,
      };
      const beats = heartbeatEvery(() => ({ ...progress }), HEARTBEAT_EVERY_MS);
      try {
        const listed = await fileOnServer(client, sessionId, file.name);
        const existing = listed?.source_type === 'PULL' ? listed : undefined;
        const skipped = existing?.status === 'READY';
        if (!skipped && !(existing && ['TRANSFERRING', 'VALIDATING'].includes(existing.status))) {
          await client.addUpdateSessionFile(sessionId, {
            name: file.name,
            source_type: 'PULL',
            source_endpoint: { uri: origin.url, ...sourceEndpointCertificate(origin) },
            ...(file.size ? { size: file.size } : {}),
            ...(origin.checksum ? { checksum_info: origin.checksum } : {}),
          });
        }
        for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
          const now = await fileOnServer(client, sessionId, file.name);
          progress.bytesSent = now?.bytes_transferred ?? 0;
          if (now?.status === 'READY') {
            return {
              name: file.name,
              size: now.size ?? now.bytes_transferred,
              ...(now.checksum_info?.algorithm === 'SHA1' ? { sha1: now.checksum_info.checksum } : {}),
              bytesSent: 0,
              resent: false,
              skipped,
            };
          }
          if (now?.status === 'ERROR' || !now) {
            // The server's words often repeat the URL it fetched (after redirects, perhaps a
            // presigned one): redacted, as this message goes into history and the logs.
            throw permanent(
              'PullFailed',
              redactString(
                `the server could not pull ${origin.url}: ${now?.error_message?.default_message ?? 'the file vanished from the session'}`,
              ),
            );
          }
          await sleep(delay);
          if (signal.aborted) throw signal.reason;
        }
      } finally {
        beats.stop();
      }
    },
  };
}
