/**
 * What a worker may touch on its host: every path an activity opens is checked here against
 * the configured roots (`worker.readRoots`, `worker.writeRoots`) after symbolic links and `..`
 * are resolved, so a link inside a root that points outside it is refused like the outside
 * path itself. Anyone who can start a workflow chooses these paths, so the check runs in the
 * activity that opens them (an older client, or `temporal workflow start`, cannot skip it),
 * before anything is created on the server or on disk.
 *
 * Roots are worker-wide, not per vCenter: they describe the worker's file system, and the
 * vCenter is named by the same workflow input as the path, so a per-vCenter root would not
 * stop anyone. Separate tenants run separate workers (task queues) with their own roots.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** Kernel pseudo file systems and device nodes: nothing there is content, whatever the roots say. */
const NEVER = ['/proc', '/sys', '/dev'];

/** Symbolic links followed while resolving one path before giving up, as the kernel's ELOOP. */
const MAX_LINKS = 40;

/** The configured roots. Either list empty: that kind of access is refused altogether. */
export interface AllowedRootsOptions {
  /** Directories whose files may be read (upload sources, catalogs, DIRECT `file://` endpoints). @default none */
  readRoots?: readonly string[];
  /** Directories under which downloads may be written. @default none */
  writeRoots?: readonly string[];
}

/** A path outside the roots, or not the kind of file expected there. Never retryable. */
export class PathNotAllowedError extends Error {
  override readonly name = 'PathNotAllowed';
  readonly code = 'PATH_NOT_ALLOWED';
  readonly retryable = false;
  constructor(
    message: string,
    /** The input the path came from: `source.path`, `destination`, `DIRECT endpoint`, ... */
    readonly field: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Whether `err` is a {@link PathNotAllowedError} (by name: Jest's module isolation breaks instanceof). */
export function isPathNotAllowed(err: unknown): err is PathNotAllowedError {
  return err instanceof Error && err.name === 'PathNotAllowed';
}

type Access = 'read' | 'write';

const HOW: Record<Access, { variable: string; key: string; verb: string }> = {
  read: { variable: 'CLO_READ_ROOTS', key: 'worker.readRoots', verb: 'reads' },
  write: { variable: 'CLO_WRITE_ROOTS', key: 'worker.writeRoots', verb: 'writes' },
};

/** A path with every symbolic link and `..` resolved; `exists` false when its tail is not there (yet). */
export interface ResolvedPath {
  real: string;
  exists: boolean;
}

/** Where resolving stops: nothing there, or a directory the worker may not search. */
const UNRESOLVABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES']);

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Resolves `path` as the kernel would: realpath when it exists; otherwise the nearest existing
 * ancestor's real path (links followed one by one, dangling ones included, so a link to a place
 * not yet created still counts where it points) with the missing rest appended.
 */
export async function resolvePath(path: string): Promise<ResolvedPath> {
  try {
    return { real: await realpath(path), exists: true };
  } catch (err) {
    if (!UNRESOLVABLE.has(errnoCode(err) ?? '')) throw err;
  }
  let pending = path.split('/');
  let current = '/';
  let links = 0;
  while (pending.length > 0) {
    const segment = pending.shift()!;
    if (segment === '' || segment === '.') continue;
    // `current` has no links in it, so its parent is the real parent.
    if (segment === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, segment);
    let st: Stats;
    try {
      st = await lstat(next);
    } catch (err) {
      if (!UNRESOLVABLE.has(errnoCode(err) ?? '')) throw err;
      // Nothing below here exists (or the worker cannot search it, so cannot open anything
      // there either): no link can redirect it, and the rest is plain text.
      return { real: resolve(next, ...pending.filter((s) => s !== '')), exists: false };
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) {
        throw Object.assign(new Error(`too many symbolic links resolving ${path}`), { code: 'ELOOP' });
      }
      const target = await readlink(next);
      if (isAbsolute(target)) current = '/';
      pending = [...target.split('/'), ...pending];
      continue;
    }
    current = next;
  }
  return { real: current, exists: true };
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** What a stat says a path is, for messages. */
export function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The refusal for something at a destination name that is not a regular file (a link, a pipe, a device). */
export function notARegularFile(field: string, path: string, st: Stats): PathNotAllowedError {
  return new PathNotAllowedError(
    `${field} ${path} is not allowed: it is ${kindOf(st)}, not a regular file, and the worker never writes through one; remove it or choose another destination`,
    field,
    path,
  );
}

/** The roots of one worker, and the checks every activity that opens a path makes. */
export class AllowedPaths {
  private readonly roots: Record<Access, readonly string[]>;

  constructor(opts: AllowedRootsOptions = {}) {
    this.roots = { read: opts.readRoots ?? [], write: opts.writeRoots ?? [] };
  }

  /** The roots as they are on disk now (a root may itself be, or sit below, a link). */
  private async realRoots(access: Access): Promise<string[]> {
    return await Promise.all(this.roots[access].map(async (root) => (await resolvePath(root)).real));
  }

  /**
   * Resolves `path` and refuses it unless it lies under one of the roots for `access` and outside
   * /proc, /sys and /dev. `fix` replaces the default advice (move it under a root, or add one).
   */
  private async resolveInside(
    access: Access,
    path: string,
    field: string,
    fix?: string,
  ): Promise<ResolvedPath> {
    const how = HOW[access];
    const refuse = (why: string, advice: string) =>
      new PathNotAllowedError(`${field} ${path} is not allowed: ${why}; ${advice}`, field, path);
    if (this.roots[access].length === 0) {
      throw refuse(
        `this worker has no ${access} roots configured, so it ${how.verb} no files`,
        `set ${how.variable} (absolute directories separated by ':', like PATH) or ${how.key} in the worker's config file to the directories it may ${access}`,
      );
    }
    if (!isAbsolute(path)) throw refuse('it is not an absolute path', 'give an absolute path');
    let resolved: ResolvedPath;
    try {
      resolved = await resolvePath(path);
    } catch (err) {
      if (errnoCode(err) === 'ELOOP') throw refuse('it has a loop of symbolic links', 'fix the links');
      throw err;
    }
    const real = resolved.real;
    const via = real === path ? '' : `it resolves to ${real}, `;
    const pseudo = NEVER.find((dir) => inside(real, dir));
    if (pseudo) {
      throw refuse(
        `${via}under ${pseudo}, which holds kernel and device files, not content`,
        `name a regular file under the worker's ${access} roots`,
      );
    }
    const roots = await this.realRoots(access);
    if (!roots.some((root) => inside(real, root))) {
      throw refuse(
        `${via}outside the worker's ${access} roots (${this.roots[access].join(', ')})`,
        fix ??
          `use a path under one of them, or add its directory to ${how.variable} (${how.key}) on the worker`,
      );
    }
    return resolved;
  }

  /**
   * A file to read (an upload source, a file an OVF references, a DIRECT endpoint): returns its
   * real path, which must be a regular file under a read root. A path that does not exist but
   * would be under a root passes with `exists: false`, so the caller can say "not found" its own way.
   * Only stat is used: a FIFO is never opened here (opening one blocks).
   */
  async checkReadFile(path: string, field: string, fix?: string): Promise<ResolvedPath> {
    const resolved = await this.resolveInside('read', path, field, fix);
    if (!resolved.exists) return resolved;
    const st = await stat(resolved.real);
    if (!st.isFile()) {
      throw new PathNotAllowedError(
        `${field} ${path} is not allowed: it is ${kindOf(st)}, not a regular file; name a regular file`,
        field,
        path,
      );
    }
    return resolved;
  }

  /** {@link checkReadFile} as the source layer's hook (activities/sources knows nothing of roots). */
  readonly readCheck = async (path: string, field: string): Promise<void> => {
    await this.checkReadFile(path, field);
  };

  /** A directory to read (a sync catalog): its real path, which must be a directory under a read root. */
  async checkReadDirectory(path: string, field: string): Promise<string> {
    const resolved = await this.resolveInside('read', path, field);
    if (!resolved.exists) return resolved.real;
    const st = await stat(resolved.real);
    if (!st.isDirectory()) {
      throw new PathNotAllowedError(
        `${field} ${path} is not allowed: it is ${kindOf(st)}, not a directory; name the directory that holds the OVAs, OVFs and ISOs`,
        field,
        path,
      );
    }
    return resolved.real;
  }

  /**
   * A directory to write into (a download destination), which may not exist yet: where it is or
   * would be created, with links resolved, must be under a write root. Returns that real path;
   * create it there, not at `path`, so a link swapped in meanwhile cannot redirect the creation.
   */
  async checkWriteDirectory(path: string, field: string): Promise<ResolvedPath> {
    return await this.resolveInside('write', path, field);
  }

  /** Whether `path` resolves under a read root (the catalog walk skips links that leave them). */
  async isReadable(path: string): Promise<boolean> {
    try {
      await this.resolveInside('read', path, 'path');
      return true;
    } catch (err) {
      if (isPathNotAllowed(err)) return false;
      throw err;
    }
  }
}
