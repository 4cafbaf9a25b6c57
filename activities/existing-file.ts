/**
 * A file already at a download's destination name. Two ways it gets there are ours: a
 * worker killed between the rename and reporting back (its retry finds the finished file),
 * and an earlier run of the same download that failed after some files were renamed into
 * place. Either way the file is kept, and nothing fetched, when it is the server's file: its
 * size and its checksum (hashed from disk, streamed) match the server's `checksum_info`, or it
 * is the very file the earlier attempt renamed there (its heartbeat says which, see
 * {@link FileIdentity}). Anything else in the way still needs `overwrite`.
 */
import type { Stats } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DownloadedFile, ServerChecksum } from '../workflows/definitions/download';
import { notARegularFile } from './allowed-paths';
import type { ChecksumInfo, ItemFileInfo } from './content-library';
import { permanent } from './failures';
import { createDigester, openRange, type DigestAlgorithm } from './sources';

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Hashes bytes [0, length) of a file from disk into `digester`, streaming. */
export async function hashFromDisk(
  path: string,
  length: number,
  digester: { update(chunk: Uint8Array): void },
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<void> {
  let seen = 0;
  for await (const chunk of openRange(path, 0, length, { signal }) as AsyncIterable<Buffer>) {
    digester.update(chunk);
    seen += chunk.length;
    onBytes(seen);
  }
}

/** SHA-1 of bytes [0, length) of a file, streamed. */
export async function sha1FromDisk(
  path: string,
  length: number,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<string> {
  const digester = createDigester(['SHA1']);
  await hashFromDisk(path, length, digester, signal, onBytes);
  return digester.digests().SHA1;
}

/**
 * Which file a path names, as the download that renamed it there saw it just before: device,
 * inode (rename and link keep both), size and modification time (a write changes it; a rename
 * does not). Strings, since a 64-bit inode number does not fit a JavaScript number.
 */
export interface FileIdentity {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
}

/** The identity of the regular file at `path` (not following a link). */
export async function fileIdentity(path: string): Promise<FileIdentity> {
  const st = await lstat(path, { bigint: true });
  return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs) };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/** What the server says a file is; either may be missing (vcsim reports no checksums). */
export interface ServerFile {
  size?: number;
  checksum?: ChecksumInfo;
}

/** How a file on disk compares with the server's: `unknown` when the server gave no checksum (a size alone proves nothing). */
export type Comparison =
  | { verdict: 'same'; sha1?: string; serverChecksum: ServerChecksum }
  | { verdict: 'different'; reason: string }
  | { verdict: 'unknown' };

/**
 * Compares the regular file at `path` (of `size` bytes) with the server's, hashing it once for the
 * server's algorithm and, when `sha1` asks (or that algorithm is SHA-1), SHA-1.
 */
export async function compareWithServer(
  path: string,
  size: number,
  server: ServerFile,
  signal: AbortSignal,
  onBytes: (n: number) => void,
  sha1 = true,
): Promise<Comparison> {
  if (server.size !== undefined && server.size !== size) {
    return { verdict: 'different', reason: `it has ${size} bytes, the server's file has ${server.size}` };
  }
  if (!server.checksum) return { verdict: 'unknown' };
  const algorithm = server.checksum.algorithm ?? 'SHA1';
  const digester = createDigester<DigestAlgorithm>(sha1 ? ['SHA1', algorithm] : [algorithm]);
  await hashFromDisk(path, size, digester, signal, onBytes);
  const digests = digester.digests();
  const expected = server.checksum.checksum.toLowerCase();
  if (digests[algorithm] !== expected) {
    return {
      verdict: 'different',
      reason: `its ${algorithm} is ${digests[algorithm]}, the server's file has ${expected}`,
    };
  }
  return {
    verdict: 'same',
    ...(digests.SHA1 !== undefined ? { sha1: digests.SHA1 } : {}),
    serverChecksum: { algorithm, checksum: expected },
  };
}

/** The result of a download that kept the file already in place: nothing replaced, `bytesFetched` only what a comparison needed. */
export function keptFile(
  file: Pick<
    DownloadedFile,
    'name' | 'path' | 'size' | 'sha1' | 'verifiedBy' | 'serverChecksum' | 'sessionId'
  >,
  bytesFetched = 0,
): DownloadedFile {
  return {
    name: file.name,
    path: file.path,
    size: file.size,
    ...(file.sha1 !== undefined ? { sha1: file.sha1 } : {}),
    ...(file.serverChecksum ? { serverChecksum: file.serverChecksum } : {}),
    verifiedBy: file.verifiedBy,
    resumed: false,
    resumedFrom: 0,
    discardedBytes: 0,
    bytesFetched,
    sessionId: file.sessionId,
    kept: true,
  };
}

/**
 * Planning's look at the selected names already present in `destination`: returns the regular
 * files of the server's size, which downloadFile keeps if their checksums match too (hashing
 * gigabytes does not fit planning's short, heartbeat-less call); refuses a directory and
 * anything else that is not a regular file, and, without `overwrite`, a file of another size.
 */
export async function filesInPlace(
  destination: string,
  names: string[],
  listed: Map<string, ItemFileInfo>,
  overwrite: boolean,
): Promise<string[]> {
  const present: string[] = [];
  const inTheWay: string[] = [];
  for (const name of names) {
    const path = join(destination, name);
    const existing = await lstatOrUndefined(path);
    if (!existing) continue;
    if (existing.isDirectory()) {
      throw permanent('DestinationInvalid', `${path} is a directory; it cannot be replaced by a file`);
    }
    // A link (to /etc/cron.d/x, say), pipe or device: refused even with overwrite, before any session exists.
    if (!existing.isFile()) throw notARegularFile('destination', path, existing);
    const server = listed.get(name);
    // The docs define size 0 for a file not cached on the library's storage: its size is unknown.
    const serverSize = server && (server.size > 0 || server.cached) ? server.size : undefined;
    if (serverSize === undefined || existing.size === serverSize) present.push(name);
    else inTheWay.push(path);
  }
  if (inTheWay.length > 0 && !overwrite) {
    const one = inTheWay.length === 1;
    throw fileExists(
      inTheWay,
      one ? "not the server's file: its size differs" : "not the server's files: their sizes differ",
    );
  }
  return present;
}

/** What downloadFile does about the regular file already at its name, short of refusing it. */
export type InPlace =
  /** It is the server's file: return this and fetch nothing. */
  | { keep: DownloadedFile }
  /** Download; with `compareWith`, compare the result with the file in place instead of replacing it. */
  | { compareWith?: { size: number } };

/**
 * Decides about the file at `finalPath` (of `size` bytes) before a download: kept when it is
 * the file an earlier attempt renamed there (`committed`, its own heartbeat: the same SHA-1 when
 * that attempt hashed one, else the same {@link FileIdentity}), or when its size and checksum
 * match the server's; otherwise refused without `overwrite`. A server that gives no checksum
 * gets the file downloaded and compared ({@link keepIfSame}).
 */
export async function judgeFileInPlace(opts: {
  name: string;
  sessionId: string;
  finalPath: string;
  size: number;
  overwrite: boolean;
  committed?: DownloadedFile;
  /** The identity of the part file `committed` was renamed from, from the same heartbeat. */
  committedAs?: FileIdentity;
  /** Whether the result is to carry the file's SHA-1 (`options.checksum`). */
  sha1: boolean;
  /** What the server says the file is; asked only when needed. */
  server: () => Promise<ServerFile>;
  signal: AbortSignal;
  beat: (bytes: number) => void;
}): Promise<InPlace> {
  const { finalPath, size, committed, signal, beat } = opts;
  if (committed && size === committed.size) {
    // Without a SHA-1 (none was asked for, so none was computed) the file is ours when it is the
    // inode that attempt renamed, unwritten since: a size alone would prove nothing.
    const ours =
      committed.sha1 !== undefined
        ? (await sha1FromDisk(finalPath, size, signal, beat)) === committed.sha1
        : opts.committedAs !== undefined && sameIdentity(opts.committedAs, await fileIdentity(finalPath));
    if (ours) return { keep: keptFile(committed) };
  }
  // That heartbeat may never have reached the server (the SDK throttles them): ask the server.
  const cmp = await compareWithServer(finalPath, size, await opts.server(), signal, beat, opts.sha1);
  if (cmp.verdict === 'same') {
    return {
      keep: keptFile({
        name: opts.name,
        path: finalPath,
        size,
        ...(cmp.sha1 !== undefined ? { sha1: cmp.sha1 } : {}),
        serverChecksum: cmp.serverChecksum,
        verifiedBy: 'checksum',
        sessionId: opts.sessionId,
      }),
    };
  }
  if (opts.overwrite) return {};
  if (cmp.verdict === 'different') throw fileExists([finalPath], `not the server's file: ${cmp.reason}`);
  // No checksum (vcsim): a size proves nothing, so download the file and compare the bytes.
  return { compareWith: { size } };
}

/**
 * The verified download `fetched` (in the part file, whose SHA-1 is `sha1`: hashed while it was
 * received for this comparison) against the file already at `finalPath`, for a server that gave no
 * checksum: the same bytes are kept, with the part file gone; others are refused.
 */
export async function keepIfSame(
  finalPath: string,
  size: number,
  partPath: string,
  fetched: DownloadedFile,
  sha1: string,
  signal: AbortSignal,
  beat: (bytes: number) => void,
): Promise<DownloadedFile> {
  const same = size === fetched.size && (await sha1FromDisk(finalPath, size, signal, beat)) === sha1;
  await rm(partPath, { force: true });
  if (!same) {
    throw fileExists(
      [finalPath],
      "not the server's file: the server gives no checksum, and the bytes it just sent differ",
    );
  }
  return keptFile(fetched, fetched.bytesFetched);
}

/** Files in the way of a download without `overwrite`; `why` says how they differ from the server's, when known. */
export function fileExists(paths: string[], why?: string) {
  const one = paths.length === 1;
  return permanent(
    'FileExists',
    `${paths.join(', ')} already exist${one ? 's' : ''}${why ? ` (${why})` : ''}; set overwrite: true (clo download --overwrite) to replace ${
      one ? 'it' : 'them'
    }`,
    { paths },
  );
}
