/**
 * A catalog directory as a sync source. The rules, in one place:
 *
 * - The directory is walked recursively (at most {@link MAX_DEPTH} levels); entries whose
 *   name starts with `.` are skipped, symbolic links are followed as long as they stay under
 *   the worker's read roots (the others are listed, as ignored, in `outside`).
 * - `*.ova` → one item (its members become the item files); `*.ovf` → one item (the
 *   descriptor, its `.mf`/`.cert` and the files it references); `*.iso` → one item of
 *   type `iso`. Extensions match case-insensitively.
 * - The item name is the file name without its extension: `photon-5.0.ova` → `photon-5.0`.
 *   Two files that map to one name (say `a/x.iso` and `b/x.ova`) are both reported as
 *   failed, and neither is synced, rather than one silently winning.
 * - Every other file is ignored unless an OVF package uses it, and listed in the result
 *   (`ignored`), so a stray `photon.vmdk` without a descriptor does not go unnoticed.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, parse, relative } from 'node:path';
import type { UploadSource } from '../../workflows/definitions/upload';
import type { AllowedPaths } from '../allowed-paths';
import { openRange, planSource, SourceError, type SourcePlan } from '../sources';
import type { ExpectedFile } from './stamp';
import { versionKey } from './stamp';

/** How deep below the catalog directory items are looked for. */
export const MAX_DEPTH = 8;

/** An item-shaped file of the catalog. */
export interface CatalogEntry {
  /** Item name: the file name without its extension. */
  name: string;
  /** Path relative to the catalog directory. */
  rel: string;
  path: string;
  kind: 'ova' | 'ovf' | 'iso';
}

export interface CatalogScan {
  /** Sorted by name, then relative path. */
  entries: CatalogEntry[];
  /** Relative paths of the files that are not items themselves. */
  others: string[];
  /** Relative paths of the symbolic links that lead out of the read roots, not followed. */
  outside: string[];
}

const KIND: Record<string, CatalogEntry['kind']> = { '.ova': 'ova', '.ovf': 'ovf', '.iso': 'iso' };

/** Lists the catalog's item files and the rest; `allowed` decides which symbolic links are followed. */
export async function scanCatalog(root: string, allowed: AllowedPaths): Promise<CatalogScan> {
  try {
    const st = await stat(root);
    if (!st.isDirectory()) {
      throw new SourceError(
        'SOURCE_NOT_A_FILE',
        `catalog ${root} is not a directory; give the directory that holds the OVAs, OVFs and ISOs`,
        { path: root },
      );
    }
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(
      'SOURCE_NOT_FOUND',
      `catalog directory ${root} cannot be read on the worker host (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path and that its share is mounted there`,
      { path: root, cause: err },
    );
  }
  const entries: CatalogEntry[] = [];
  const others: string[] = [];
  const outside: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new SourceError(
        'SOURCE_UNREADABLE',
        `catalog directory ${dir} is not readable (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        {
          path: dir,
          cause: err,
        },
      );
    }
    for (const d of dirents) {
      if (d.name.startsWith('.')) continue;
      const path = join(dir, d.name);
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (d.isSymbolicLink()) {
        // Not followed, nor its directory listed: what lies out of the roots is not the worker's to read.
        if (!(await allowed.isReadable(path))) {
          outside.push(relative(root, path));
          continue;
        }
        const target = await stat(path).catch(() => undefined);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir) {
        if (depth < MAX_DEPTH) await walk(path, depth + 1);
        continue;
      }
      if (!isFile) continue;
      const { name, ext } = parse(d.name);
      const kind = KIND[ext.toLowerCase()];
      const rel = relative(root, path);
      if (kind && name !== '') entries.push({ name, rel, path, kind });
      else others.push(rel);
    }
  };
  await walk(root, 1);
  entries.sort((a, b) => (catalogKey(a) < catalogKey(b) ? -1 : catalogKey(a) > catalogKey(b) ? 1 : 0));
  others.sort();
  outside.sort();
  return { entries, others, outside };
}

/** The entry's place in the sync's order (and its cursor): name first, so one item name's files sit together. */
export function catalogKey(entry: CatalogEntry): string {
  return `${entry.name}\u0000${entry.rel}`;
}

/** The upload saga's source for a catalog entry. */
export function catalogUploadSource(entry: CatalogEntry): UploadSource {
  return entry.kind === 'iso' ? { kind: 'file', path: entry.path } : { kind: entry.kind, path: entry.path };
}

/**
 * The cheap change key of a planned entry: size, mtime, ctime and inode of every file it
 * reads. Content cannot change without changing the ctime (which, unlike the mtime, no
 * tool can set back), and a file replaced by a rename has a new inode.
 */
export async function catalogVersion(root: string, plan: SourcePlan): Promise<string> {
  const paths = [
    ...new Set(plan.files.map((f) => (f.origin.kind === 'file' ? f.origin.path : '')).filter(Boolean)),
  ].sort();
  const parts = [];
  for (const path of paths) {
    const st = await stat(path);
    parts.push([relative(root, path), st.size, st.mtimeMs, st.ctimeMs, st.ino]);
  }
  return versionKey(parts);
}

/** Reads every planned file (an OVA member is a range of the archive) and returns each one's SHA-1. */
export async function hashPlannedFiles(plan: SourcePlan, onProgress: () => void): Promise<ExpectedFile[]> {
  const out: ExpectedFile[] = [];
  for (const f of plan.files) {
    if (f.origin.kind !== 'file') throw new Error(`${f.name} is not a local file`);
    const hash = createHash('sha1');
    for await (const chunk of openRange(
      f.origin.path,
      f.origin.offset,
      f.origin.length,
    ) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      onProgress();
    }
    out.push({ name: f.name, size: f.origin.length, sha1: hash.digest('hex') });
  }
  return out;
}

/** Plans a catalog entry with the upload saga's own planner (and its read-root check), so both agree on the files. */
export async function planCatalogEntry(entry: CatalogEntry, allowed: AllowedPaths): Promise<SourcePlan> {
  return await planSource(catalogUploadSource(entry), { checkRead: allowed.readCheck });
}

/** The catalog's files no item uses (first page only: it plans every OVF to know what they reference). */
export async function ignoredFiles(
  root: string,
  scan: CatalogScan,
  allowed: AllowedPaths,
): Promise<string[]> {
  const used = new Set<string>();
  for (const e of scan.entries) {
    if (e.kind !== 'ovf') continue;
    try {
      for (const f of (await planCatalogEntry(e, allowed)).files)
        if (f.origin.kind === 'file') used.add(relative(root, f.origin.path));
    } catch {
      // A broken package is reported as a failed item, with the reason.
    }
  }
  return scan.others.filter((rel) => !used.has(rel));
}
