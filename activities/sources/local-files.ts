/**
 * Checks on files of the worker's file system: that a path names a regular file the
 * worker can actually open, and reading the few small files planning needs whole
 * (descriptors, manifests). Every failure becomes a {@link SourceError} that names the
 * path and the fix.
 */
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { SourceError } from './errors';

/** The largest descriptor or manifest planning reads into memory; real ones are kilobytes. */
export const MAX_SMALL_FILE_BYTES = 16 * 1024 * 1024;

/** I/O errors that may clear up on their own (a busy NFS server, a full fd table). */
const TRANSIENT_CODES = new Set([
  'EIO',
  'ESTALE',
  'EAGAIN',
  'EBUSY',
  'EMFILE',
  'ENFILE',
  'ETIMEDOUT',
  'EINTR',
]);

/** A check made on a local path before it is opened; `field` names where the path came from. Rejects to refuse it. */
export type CheckRead = (path: string, field: string) => Promise<void>;

/**
 * Flags for opening a file planning has stat()ed as regular: O_NONBLOCK so that a named pipe
 * swapped in since cannot block the worker in open() (on a regular file it changes nothing).
 */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Options of {@link inspectFile}. */
export interface InspectFileOptions {
  /** Checked before anything touches the path (the worker's read roots). @default none */
  checkRead?: CheckRead;
  /** How `checkRead`'s refusal names the path's origin, for files found by reference. @default field, else subject */
  checkField?: string;
  /** How messages name the file, e.g. `OVF descriptor /x/photon.ovf`. @default the path */
  subject?: string;
  /** The input field the path came from, named in the fix; omit for files found by reference. */
  field?: string;
  /** Builds the error for a missing file, when the caller can say more than "does not exist". */
  onMissing?: () => SourceError;
}

/** Stats `path`, requires a regular file the worker can open for reading, and returns its size. */
export async function inspectFile(path: string, options: InspectFileOptions = {}): Promise<{ size: number }> {
  const subject = options.subject ?? path;
  await options.checkRead?.(path, options.checkField ?? options.field ?? subject);
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) {
      const fix = options.field ? `${options.field} must name a regular file` : 'it must be a regular file';
      throw new SourceError('SOURCE_NOT_A_FILE', `${subject} is ${describeKind(st)}, not a file; ${fix}`, {
        path,
      });
    }
    size = st.size;
    // access() answers for the real uid; open() is what the transfer will do, so try both:
    // access catches ACLs and read-only mounts without side effects, open catches the rest.
    await access(path, constants.R_OK);
    const handle = await open(path, READ_FLAGS);
    await handle.close();
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const where = options.field
        ? `${options.field} is read on the worker host`
        : 'paths are read on the worker host';
      throw (
        options.onMissing?.() ??
        new SourceError(
          'SOURCE_NOT_FOUND',
          `${subject} does not exist; ${where}, so check the path and that its share is mounted there`,
          { path, cause: err },
        )
      );
    }
    throw unreadable(subject, path, err);
  }
  return { size };
}

/** Whether anything exists at `path` (a dangling symlink counts as nothing). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    // Anything else (EACCES, EIO) means something is there that inspectFile will report on.
    return true;
  }
}

/** Reads a small file whole (a descriptor or manifest), refusing anything over {@link MAX_SMALL_FILE_BYTES}. */
export async function readSmallFile(path: string, label: 'OVF descriptor' | 'manifest'): Promise<Buffer> {
  try {
    const handle = await open(path, READ_FLAGS);
    try {
      const { size } = await handle.stat();
      if (size > MAX_SMALL_FILE_BYTES) {
        throw new SourceError(
          label === 'manifest' ? 'MANIFEST_MALFORMED' : 'OVF_INVALID',
          `${label} ${path} is ${size} bytes, larger than the ${MAX_SMALL_FILE_BYTES}-byte limit for a ${label}; check that source.path names the right file`,
          { path },
        );
      }
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw unreadable(`${label} ${path}`, path, err);
  }
}

/** The SOURCE_UNREADABLE error for an I/O failure on `path`. */
export function unreadable(what: string, path: string, err: unknown): SourceError {
  const code = errnoCode(err) ?? 'unknown error';
  const fix =
    code === 'EACCES' || code === 'EPERM'
      ? "; grant the worker's user read access to it (and search access to its directories)"
      : '';
  return new SourceError('SOURCE_UNREADABLE', `${what} is not readable (${code})${fix}`, {
    path,
    retryable: TRANSIENT_CODES.has(code),
    cause: err,
  });
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeKind(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'a device';
}
