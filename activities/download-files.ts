/**
 * The host-local activities of the download saga: they touch the worker's disk, so the
 * saga runs them on a task queue only this host polls (see {@link hostTaskQueueFor}),
 * and a retry after a crash lands where the bytes already are.
 *
 * A download streams the endpoint's bytes into `<destination>/<name>.part`, hashing
 * them on the way where something checks the hash (the server names a checksum, the
 * caller asks for the SHA-1), and heartbeats. A retry continues from the bytes already on
 * disk with a Range request, re-hashing that prefix from disk first, when the endpoint
 * honours Range (told by the response, never assumed); when it does not (vcsim), the
 * file starts over. After the last byte: fsync, compare with the server's size and
 * checksum, rename into place. Memory stays at a few chunks whatever the file's size.
 * A file already at the name that is the server's (a retry after the rename, a re-run) is
 * kept and nothing fetched; see ./existing-file.
 */
import { constants, createReadStream } from 'node:fs';
import {
  access,
  link,
  mkdir,
  open,
  realpath,
  rename,
  rm,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { selectFiles, type DownloadedFile, type ServerChecksum } from '../workflows/definitions/download';
import { AllowedPaths, notARegularFile } from './allowed-paths';
import {
  errorFromTransport,
  isContentLibraryError,
  type ContentLibraryClient,
  type DownloadSessionFileInfo,
  type TransferEndpoint,
} from './content-library';
import { assertSafeFileNames } from './download-sessions';
import {
  fileExists,
  fileIdentity,
  filesInPlace,
  hashFromDisk,
  judgeFileInPlace,
  keepIfSame,
  lstatOrUndefined,
  type FileIdentity,
  type ServerFile,
} from './existing-file';
import { permanent, sessionGone } from './failures';
import { PartFileWriter } from './part-file-writer';
import { createDigester, type DigestAlgorithm } from './sources';
import { unsafeNameReason } from './sources/names';
import type { TransferHeartbeat } from './upload-file';
import type { VCenterClients } from './vcenter-clients';

/**
 * The task queue only the workers of this host poll, derived from the shared queue.
 * Two workers on one host share it, which is the point: either may resume the other's
 * part files. The name must survive a restart for a resume to find its queue: the host
 * name by default, or the configured `worker.hostId` (CLO_HOST_ID) where it does not.
 */
export function hostTaskQueueFor(taskQueue: string, host: string = hostname()): string {
  return `${taskQueue}@${host}`;
}

/** What {@link downloadFileActivities}' planDownload checked and found. */
export interface DownloadPlan {
  /** The destination with symbolic links resolved; every later step uses this one. */
  destination: string;
  /** Selected item files, in the item's order. */
  files: Array<{ name: string; size: number }>;
  totalBytes: number;
}

/** Input of planDownload. */
export interface PlanDownloadRequest {
  vcenter: string;
  itemId: string;
  destination: string;
  files?: string[];
  overwrite: boolean;
}

/** Input of downloadFile. */
export interface DownloadFileRequest {
  vcenter: string;
  sessionId: string;
  itemId: string;
  /** Resolved destination directory (from planDownload). */
  destination: string;
  name: string;
  overwrite: boolean;
  /**
   * Hash the file with SHA-1 and report it (`options.checksum`). Absent (a workflow from before
   * this field): true, as then. Either way the server's checksum, when it names one, is checked.
   */
  checksum?: boolean;
}

/** Heartbeat details: live progress, plus the result once the file is about to be renamed into place. */
export interface DownloadHeartbeat extends TransferHeartbeat {
  committed?: DownloadedFile;
  /** The part file `committed` is renamed from: a retry knows its own file by it when there is no SHA-1. */
  committedAs?: FileIdentity;
}

const HEARTBEAT_EVERY_MS = 1000;
const SUFFIX = '.part';

/**
 * Creates the destination if needed and returns it with symbolic links resolved; refuses what
 * cannot hold files, and, before creating anything, a place outside the worker's write roots.
 */
async function resolveDestination(destination: string, allowed: AllowedPaths): Promise<string> {
  const invalid = (why: string) =>
    permanent('DestinationInvalid', `destination ${destination} ${why}`, { destination });
  // Created where the check resolved it to, so what is made is what was checked.
  const checked = await allowed.checkWriteDirectory(destination, 'destination');
  try {
    await mkdir(checked.real, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw invalid('is not a directory');
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
      throw invalid(`cannot be created on this worker host (${code})`);
    throw err;
  }
  // Again now it exists: a link swapped in meanwhile must not lead the files out of the roots.
  const { real } = await allowed.checkWriteDirectory(destination, 'destination');
  if (!(await stat(real)).isDirectory()) throw invalid('is not a directory');
  try {
    await access(real, constants.W_OK);
  } catch {
    throw invalid('is not writable by the worker');
  }
  return real;
}

/** `<dest>/<name>` and its part file, refusing a name that is not one safe path segment or a destination outside the write roots. */
async function targetPaths(
  destination: string,
  name: string,
  allowed: AllowedPaths,
): Promise<{ finalPath: string; partPath: string }> {
  const why = unsafeNameReason(name);
  const dest = await realpath((await allowed.checkWriteDirectory(destination, 'destination')).real);
  const finalPath = join(dest, name);
  // The name check is the rule; the realpath comparison catches anything it might miss.
  if (why || dirname(finalPath) !== dest) {
    throw permanent(
      'UnsafeFileName',
      `refusing to write ${JSON.stringify(name)} into ${dest}: ${why ?? 'it leaves the directory'}`,
    );
  }
  return { finalPath, partPath: finalPath + SUFFIX };
}

/** Durably records the directory entry a rename or link made. */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the file itself is synced.
  } finally {
    await fh.close();
  }
}

/** The file's prepare info; a session that vanished is SessionGone. */
async function sessionFile(
  client: ContentLibraryClient,
  sessionId: string,
  name: string,
): Promise<DownloadSessionFileInfo> {
  try {
    return await client.getDownloadSessionFile(sessionId, name);
  } catch (err) {
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
    throw err;
  }
}

/** A response body to stream, from an HTTP(S) endpoint or, for DIRECT, a `file://` URI. */
interface Source {
  body: Readable;
  /** False when the server sent the whole file although a range was asked for. */
  rangeHonoured: boolean;
}

/**
 * A DIRECT endpoint: a `file://` URI the server names, read from the worker's file system. The
 * server chooses the path, so it must be a regular file under a read root like any source; it is
 * opened non-blocking (a named pipe cannot stall the worker) and checked again once open.
 */
async function openFileEndpoint(
  uri: string,
  start: number,
  signal: AbortSignal,
  allowed: AllowedPaths,
): Promise<Source | 'nothing-left'> {
  const field = 'DIRECT endpoint';
  const path = fileURLToPath(uri);
  const { real } = await allowed.checkReadFile(
    path,
    field,
    "add the library's storage directory, as this worker mounts it, to CLO_READ_ROOTS (worker.readRoots), or download with endpointType HTTPS",
  );
  const fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notARegularFile(field, path, st);
    if (start >= st.size && start > 0) {
      await fh.close();
      return 'nothing-left';
    }
  } catch (err) {
    await fh.close();
    throw err;
  }
  return { body: createReadStream(real, { fd: fh, start, signal }), rangeHonoured: true };
}

async function openSource(
  client: ContentLibraryClient,
  endpoint: TransferEndpoint,
  start: number,
  signal: AbortSignal,
  sessionId: string,
  allowed: AllowedPaths,
): Promise<Source | 'nothing-left'> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(endpoint.uri)?.[1]?.toLowerCase();
  if (scheme === 'file') return await openFileEndpoint(endpoint.uri, start, signal, allowed);
  if (scheme !== 'http' && scheme !== 'https') {
    throw permanent(
      'UnsupportedEndpoint',
      `the server offered a ${scheme ?? 'schemeless'} endpoint, which this worker cannot read; use endpointType HTTPS`,
    );
  }
  try {
    const res = await client.downloadFromEndpoint(
      endpoint,
      start > 0 ? { range: { start }, signal } : { signal },
    );
    return { body: res.body, rangeHonoured: res.rangeHonoured };
  } catch (err) {
    // Asked for bytes from the end of the file: the part file already holds all of it.
    if (start > 0 && isContentLibraryError(err) && err.status === 416) return 'nothing-left';
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
    throw err;
  }
}

interface Fetched {
  size: number;
  digests: Partial<Record<DigestAlgorithm, string>>;
  resumedFrom: number;
  bytesFetched: number;
  discardedBytes: number;
}

/**
 * The part file opened a second time, write-only with O_DIRECT, for PartFileWriter's aligned
 * writes. Through /proc/self/fd, so it is the inode `fh` has open and not whatever the path
 * names by now. Undefined where there is no O_DIRECT (not Linux) or the filesystem refuses it
 * (EINVAL): the writer then uses the page cache only.
 */
async function openDirect(fh: FileHandle): Promise<FileHandle | undefined> {
  if (!constants.O_DIRECT) return undefined;
  try {
    return await open(`/proc/self/fd/${fh.fd}`, constants.O_WRONLY | constants.O_DIRECT);
  } catch (err) {
    log.debug('no O_DIRECT for the part file; writing through the page cache', {
      reason: (err as Error).message,
    });
    return undefined;
  }
}

/** Brings the part file up to the whole file: resumes or starts over, hashes every byte with `algorithms` (maybe none), fsyncs. */
async function fetchInto(opts: {
  client: ContentLibraryClient;
  endpoint: TransferEndpoint;
  partPath: string;
  expectedSize: number | undefined;
  algorithms: DigestAlgorithm[];
  signal: AbortSignal;
  sessionId: string;
  beat: (bytes: number) => void;
  directIo: boolean;
  allowed: AllowedPaths;
}): Promise<Fetched> {
  const { partPath, expectedSize, signal, beat } = opts;
  // O_NOFOLLOW: a symbolic link planted at the part file's name must not redirect the bytes.
  const fh = await open(partPath, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    let start = (await fh.stat()).size;
    let discardedBytes = 0;
    if (expectedSize !== undefined && start > expectedSize) {
      discardedBytes += start;
      await fh.truncate(0);
      start = 0;
    }
    const digester = createDigester(opts.algorithms);
    const source =
      expectedSize !== undefined && start > 0 && start === expectedSize
        ? 'nothing-left'
        : await openSource(opts.client, opts.endpoint, start, signal, opts.sessionId, opts.allowed);
    try {
      if (source !== 'nothing-left' && !source.rangeHonoured) {
        // The whole file is coming from byte 0 (vcsim ignores Range): start the part file over.
        log.info('the endpoint ignored Range; downloading the whole file again', {
          partPath,
          discarded: start,
        });
        discardedBytes += start;
        await fh.truncate(0);
        start = 0;
      }
      // The hash must cover the whole file, so a resumed file's prefix is re-read from disk first
      // (the response waits meanwhile, held back by its stream's back-pressure).
      const prefix = start;
      if (prefix > 0 && opts.algorithms.length > 0)
        await hashFromDisk(partPath, prefix, digester, signal, () => beat(prefix));
      const direct = opts.directIo && source !== 'nothing-left' ? await openDirect(fh) : undefined;
      const writer = new PartFileWriter(fh, start, digester, beat, direct);
      const started = performance.now();
      if (source !== 'nothing-left') {
        try {
          await pipeline(source.body, writer, { signal });
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          throw errorFromTransport(err, 'downloadFromEndpoint');
        } finally {
          await writer.settled();
          await direct?.close();
        }
      }
      const offset = writer.offset;
      const bytesFetched = offset - start;
      const received = performance.now();
      await fh.sync();
      // Where a slow download spent its time: the network and the writes, or the final flush to disk.
      log.info('fetched', {
        partPath,
        bytesFetched,
        directBytes: writer.directBytes,
        transferSeconds: (received - started) / 1000,
        fsyncSeconds: (performance.now() - received) / 1000,
      });
      return { size: offset, digests: digester.digests(), resumedFrom: start, bytesFetched, discardedBytes };
    } finally {
      // Consumed, or abandoned on an error: either way release the connection.
      if (source !== 'nothing-left') source.body.destroy();
    }
  } finally {
    await fh.close();
  }
}

/**
 * The algorithm the server will name for the file's checksum, when it can be known before the
 * download: the session file's `checksum_info` "won't be set until the download is complete"
 * (8.0.2 DownloadSessionFileInfo), the item file's is there already. A guess only picks what to
 * hash as the bytes arrive; verify() reads the file again for an algorithm named only afterwards.
 */
async function announcedAlgorithm(
  client: ContentLibraryClient,
  req: DownloadFileRequest,
  before: DownloadSessionFileInfo,
): Promise<DigestAlgorithm | undefined> {
  if (before.checksum_info) return before.checksum_info.algorithm ?? 'SHA1';
  try {
    const info = (await client.getLibraryItemFile(req.itemId, req.name)).checksum_info;
    return info ? (info.algorithm ?? 'SHA1') : undefined;
  } catch (err) {
    // The item went away: the session will say so; nothing to hash for.
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/** What the server says the file should be: from the session file (the checksum appears once downloaded), else the item. */
async function expectedOf(
  client: ContentLibraryClient,
  req: DownloadFileRequest,
  before: DownloadSessionFileInfo,
): Promise<ServerFile> {
  const after = await sessionFile(client, req.sessionId, req.name);
  let size = after.size ?? before.size;
  let checksum = after.checksum_info ?? before.checksum_info;
  if (checksum === undefined || size === undefined) {
    // A file finished in a later session than it started (resumed after the first expired) is not
    // "downloaded" in the session's eyes, and vcsim never sets these: ask the item itself, as long
    // as it still has the content the session snapshotted.
    const [session, item] = await Promise.all([
      client.getDownloadSession(req.sessionId),
      client.getLibraryItem(req.itemId),
    ]);
    const snapshot = session.library_item_content_version;
    if (!snapshot || !item.content_version || snapshot === item.content_version) {
      const file = await client.getLibraryItemFile(req.itemId, req.name);
      size ??= file.size > 0 || file.cached ? file.size : undefined;
      checksum ??= file.checksum_info;
    }
  }
  return { ...(size !== undefined ? { size } : {}), ...(checksum ? { checksum } : {}) };
}

type Verdict =
  | { ok: true; verifiedBy: 'checksum' | 'size'; serverChecksum?: ServerChecksum }
  | { ok: false; type: 'ChecksumMismatch' | 'SizeMismatch' | 'Unverifiable'; message: string };

async function verify(
  client: ContentLibraryClient,
  req: DownloadFileRequest,
  before: DownloadSessionFileInfo,
  partPath: string,
  fetched: Fetched,
  signal: AbortSignal,
  beat: (bytes: number) => void,
): Promise<Verdict> {
  const expected = await expectedOf(client, req, before);
  if (expected.size !== undefined && expected.size !== fetched.size) {
    return {
      ok: false,
      type: 'SizeMismatch',
      message: `${req.name}: downloaded ${fetched.size} bytes, but the server says the file has ${expected.size}`,
    };
  }
  if (expected.checksum) {
    const algorithm = expected.checksum.algorithm ?? 'SHA1';
    let actual = fetched.digests[algorithm];
    if (actual === undefined) {
      // An algorithm not hashed inline (the server named it only after the download): read the file again.
      const digester = createDigester([algorithm]);
      await hashFromDisk(partPath, fetched.size, digester, signal, () => beat(fetched.size));
      actual = digester.digests()[algorithm];
    }
    const serverChecksum = { algorithm, checksum: expected.checksum.checksum.toLowerCase() };
    if (actual !== serverChecksum.checksum) {
      return {
        ok: false,
        type: 'ChecksumMismatch',
        message: `${req.name}: the ${algorithm} of the downloaded file is ${actual}, but the server says ${serverChecksum.checksum}`,
      };
    }
    return { ok: true, verifiedBy: 'checksum', serverChecksum };
  }
  if (expected.size === undefined) {
    return {
      ok: false,
      type: 'Unverifiable',
      message: `${req.name}: the server gave neither a size nor a checksum to verify it against`,
    };
  }
  return { ok: true, verifiedBy: 'size' };
}

/** Moves the verified part file into place; without `overwrite` never replaces a file that appeared meanwhile. */
async function commit(partPath: string, finalPath: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(partPath, finalPath);
  } else {
    try {
      // link() fails if the name exists, atomically: a no-clobber rename.
      await link(partPath, finalPath);
      await unlink(partPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw fileExists([finalPath]);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      // No hard links on this filesystem: check, then rename.
      if (await lstatOrUndefined(finalPath)) throw fileExists([finalPath]);
      await rename(partPath, finalPath);
    }
  }
  await syncDirectory(dirname(finalPath));
}

export function downloadFileActivities(
  vcenters: VCenterClients,
  opts: {
    hostTaskQueue?: string;
    directIo?: boolean;
    /** The write roots destinations must be under, and the read roots DIRECT endpoints must be under. @default none */
    allowed?: AllowedPaths;
  } = {},
) {
  const allowed = opts.allowed ?? new AllowedPaths();
  return {
    /** The task queue of this worker's host, where the saga runs everything that touches the destination. */
    hostTaskQueue(): Promise<string> {
      return Promise.resolve(opts.hostTaskQueue ?? hostTaskQueueFor(activityInfo().taskQueue));
    },

    /**
     * Checks everything checkable before a session exists: the destination (created if
     * missing), the item's files and the filter, safe names, and files already in the way.
     */
    async planDownload(req: PlanDownloadRequest): Promise<DownloadPlan> {
      const destination = await resolveDestination(req.destination, allowed);
      let listed;
      try {
        listed = await vcenters.get(req.vcenter).listLibraryItemFiles(req.itemId);
      } catch (err) {
        if (isContentLibraryError(err) && err.code === 'NOT_FOUND') {
          throw permanent(
            'ItemNotFound',
            `library item ${req.itemId} does not exist on vCenter "${req.vcenter}"`,
          );
        }
        throw err;
      }
      // vcsim lists a file once per upload of it.
      const byName = new Map(listed.map((f) => [f.name, f]));
      const sizes = new Map(listed.map((f) => [f.name, f.size]));
      const names = [...sizes.keys()];
      assertSafeFileNames(names, `library item ${req.itemId}`);
      if (names.length === 0) throw permanent('NothingToDownload', `library item ${req.itemId} has no files`);
      const { selected, unmatched } = selectFiles(names, req.files);
      if (unmatched.length > 0) {
        throw permanent(
          'NoSuchFile',
          `no file of library item ${req.itemId} matches ${unmatched.map((u) => JSON.stringify(u)).join(', ')}; ` +
            `its files are ${names.map((n) => JSON.stringify(n)).join(', ')}`,
        );
      }
      const clash = selected.find((n) => selected.includes(n + SUFFIX));
      if (clash !== undefined) {
        throw permanent(
          'UnsafeFileName',
          `the item has both ${JSON.stringify(clash)} and ${JSON.stringify(clash + SUFFIX)}; the first one's part file would overwrite the second. Download them separately with files.`,
        );
      }
      const present = await filesInPlace(destination, selected, byName, req.overwrite);
      for (const name of selected) {
        // downloadFile refuses these too, but only once a session exists: refuse them now.
        const partPath = join(destination, name + SUFFIX);
        const part = await lstatOrUndefined(partPath);
        if (part && !part.isFile()) throw notARegularFile('destination', partPath, part);
      }
      if (present.length > 0) {
        log.info("files already in the destination will be kept if their checksums match the server's", {
          destination,
          present,
        });
      }
      const files = selected.map((name) => ({ name, size: sizes.get(name) ?? 0 }));
      return { destination, files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
    },

    /** Downloads one file of a prepared session into the destination, verified; see the file comment. */
    async downloadFile(req: DownloadFileRequest): Promise<DownloadedFile> {
      const info = activityInfo();
      const attempt = info.attempt;
      const previous = info.heartbeatDetails as DownloadHeartbeat | undefined;
      const signal = cancellationSignal();
      const client = vcenters.get(req.vcenter);
      const { finalPath, partPath } = await targetPaths(req.destination, req.name, allowed);

      // Heartbeats run on a timer, not on arriving bytes: they say this worker is alive (a
      // stalled server is the transfer idle timeout's business). Otherwise a slow stretch could
      // time the attempt out and start a second one writing the same part file.
      let details: DownloadHeartbeat = { name: req.name, bytesSent: 0, size: 0, attempt };
      const beat = (bytes: number, committed?: DownloadedFile, committedAs?: FileIdentity): void => {
        details = {
          ...details,
          bytesSent: bytes,
          ...(committed ? { committed } : {}),
          ...(committedAs ? { committedAs } : {}),
        };
        if (committed) heartbeat(details);
      };
      const wantSha1 = req.checksum !== false;
      heartbeat(details);
      const ticker = setInterval(() => heartbeat(details), HEARTBEAT_EVERY_MS);

      try {
        let part = await lstatOrUndefined(partPath);
        const final = await lstatOrUndefined(finalPath);
        if (part && final && part.ino === final.ino && part.dev === final.dev) {
          // Killed between commit()'s link and unlink: the part file is another name for the final
          // one, and writing to it (a truncate to start over) would write to the file in place.
          await unlink(partPath);
          part = undefined;
        }
        if (part && !part.isFile()) {
          throw permanent(
            'UnsafeFileName',
            `${partPath} exists and is not a regular file; remove it to download ${req.name}`,
          );
        }
        let before: DownloadSessionFileInfo | undefined;
        // Set when only the server's bytes can tell whether the file in place is its file (no checksum).
        let compareWith: { size: number } | undefined;
        if (final?.isFile()) {
          details.size = final.size;
          const inPlace = await judgeFileInPlace({
            name: req.name,
            sessionId: req.sessionId,
            finalPath,
            size: final.size,
            overwrite: req.overwrite,
            ...(previous?.committed ? { committed: previous.committed } : {}),
            ...(previous?.committedAs ? { committedAs: previous.committedAs } : {}),
            sha1: wantSha1,
            server: async () => {
              before = await sessionFile(client, req.sessionId, req.name);
              return await expectedOf(client, req, before);
            },
            signal,
            beat,
          });
          if ('keep' in inPlace) {
            // Drop a part file left beside it (an attempt that started over, or a stale one).
            if (part) await rm(partPath, { force: true });
            return inPlace.keep;
          }
          compareWith = inPlace.compareWith;
        } else if (final) {
          // A link, pipe or device at the name: even overwrite does not write through (or over) one.
          throw notARegularFile('destination', finalPath, final);
        }

        before ??= await sessionFile(client, req.sessionId, req.name);
        if (before.status !== 'PREPARED' || !before.download_endpoint) {
          throw new Error(
            `${req.name} is ${before.status}, not PREPARED, in download session ${req.sessionId}`,
          );
        }
        details.size = before.size ?? 0;
        // Hashed only where something checks: the server's algorithm, known before the bytes so
        // they are hashed as they arrive; SHA-1 when the caller asks for it, or to compare with the
        // file in place (no server checksum). Otherwise nothing: it was a fifth of the CPU.
        const algorithms = new Set<DigestAlgorithm>();
        const announced = await announcedAlgorithm(client, req, before);
        if (announced) algorithms.add(announced);
        if (wantSha1 || compareWith) algorithms.add('SHA1');

        let discardedBytes = 0;
        for (let pass = 1; ; pass++) {
          const fetched = await fetchInto({
            client,
            endpoint: before.download_endpoint,
            partPath,
            expectedSize: before.size,
            algorithms: [...algorithms],
            signal,
            sessionId: req.sessionId,
            beat,
            directIo: opts.directIo ?? true,
            allowed,
          });
          discardedBytes += fetched.discardedBytes;
          const verdict = await verify(client, req, before, partPath, fetched, signal, beat);
          if (verdict.ok) {
            // Reported when asked for, or when it is the server's checksum (computed to check it).
            const sha1 =
              verdict.serverChecksum?.algorithm === 'SHA1'
                ? verdict.serverChecksum.checksum
                : wantSha1
                  ? fetched.digests.SHA1
                  : undefined;
            const result: DownloadedFile = {
              name: req.name,
              path: finalPath,
              size: fetched.size,
              ...(sha1 !== undefined ? { sha1 } : {}),
              ...(verdict.serverChecksum ? { serverChecksum: verdict.serverChecksum } : {}),
              verifiedBy: verdict.verifiedBy,
              resumed: fetched.resumedFrom > 0,
              resumedFrom: fetched.resumedFrom,
              discardedBytes,
              bytesFetched: fetched.bytesFetched,
              sessionId: req.sessionId,
            };
            if (compareWith) {
              const hashed = fetched.digests.SHA1!;
              return await keepIfSame(finalPath, compareWith.size, partPath, result, hashed, signal, beat);
            }
            beat(fetched.size, result, await fileIdentity(partPath));
            await commit(partPath, finalPath, req.overwrite);
            return result;
          }
          if (fetched.resumedFrom > 0 && pass === 1) {
            // The kept prefix may be what is wrong (a host crash can leave unwritten pages): once, start over.
            log.warn('a resumed download failed its check; downloading the whole file again', {
              name: req.name,
              reason: verdict.message,
            });
            discardedBytes += fetched.size;
            await rm(partPath, { force: true });
            continue;
          }
          await rm(partPath, { force: true });
          throw permanent(verdict.type, verdict.message, { name: req.name });
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw err;
      } finally {
        clearInterval(ticker);
      }
    },

    /** Compensation: removes the part files of these names (never anything else) from the destination. */
    async removePartFiles(destination: string, names: string[]): Promise<string[]> {
      const removed: string[] = [];
      let dest: string;
      try {
        // Outside the write roots (they narrowed since planning) there is nothing of ours to remove.
        dest = await realpath((await allowed.checkWriteDirectory(destination, 'destination')).real);
      } catch {
        return removed;
      }
      for (const name of names) {
        if (unsafeNameReason(name)) continue;
        const partPath = join(dest, name + SUFFIX);
        const st = await lstatOrUndefined(partPath);
        if (!st?.isFile()) continue;
        await rm(partPath, { force: true });
        removed.push(partPath);
      }
      return removed;
    },
  };
}
