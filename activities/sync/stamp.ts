/**
 * The sync stamp: what a sync records in the description of every item it manages, and
 * how it later decides that an item is unchanged without sending its bytes again.
 *
 *   Managed by clo sync; edits are overwritten and prune may delete it. clo-sync:v1 {"src":…,"v":…,"t":…,"fp":…,"cv":…}
 *
 * - `src`: the source's identity (workflows/definitions/sync.ts `syncSourceKey`). An item is
 *   *managed* by a sync exactly when its stamp's `src` is that sync's; prune deletes nothing
 *   else, and a sync refuses to overwrite an item another source (or nobody) manages.
 * - `v`: the source's cheap change key when the item was synced (catalog: size, mtime, ctime
 *   and inode of every file; library: content version and file list; index: SHA-256 + size).
 * - `fp`: SHA-256 over the source files' (name, size, SHA-1), the SHA-1s being those computed
 *   while the bytes streamed into the upload. Compared when `v` differs, so a file that was
 *   only touched is not sent again.
 * - `t`: SHA-256 over the target item's file list (name, size, and checksum where the server
 *   reports one) right after the sync: if anything changed the item's files since, `t`
 *   differs and the item is sent again. vcsim reports sizes but no checksums; a real
 *   vCenter and our simulator report SHA-1s, so there `t` pins the content itself.
 * - `cv`: the target item's content version after the sync (real vCenter and our simulator
 *   bump it on every content change; vcsim never does, so there `t` alone guards).
 * - `pending`: written at creation, before any content; replaced by a full stamp only after
 *   the upload completed and was checked, so an item whose sync did not finish is never
 *   taken for unchanged.
 *
 * The description is the one field every Content Library server stores and returns for
 * an item (vcsim included), and it is metadata: changing it does not bump the content
 * version. Tags or custom attributes would need the CIS tagging API, which vcsim does
 * not serve for library items.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ItemFileInfo } from '../content-library';
import { currentFiles } from '../relay-file';

const MARK = 'clo-sync:v1 ';
const PREAMBLE = 'Managed by clo sync; edits are overwritten and prune may delete it.';

export const SyncStamp = z.union([
  z.object({ src: z.string(), pending: z.literal(true) }),
  z.object({
    src: z.string(),
    v: z.string(),
    t: z.string(),
    fp: z.string().optional(),
    cv: z.string().optional(),
  }),
]);
export type SyncStamp = z.infer<typeof SyncStamp>;

/** A file as a sync expects it: name and size, and SHA-1 once known. */
export interface ExpectedFile {
  name: string;
  size: number;
  sha1?: string;
}

/** The description text carrying `stamp`. */
export function formatStamp(stamp: SyncStamp): string {
  return `${PREAMBLE} ${MARK}${JSON.stringify(stamp)}`;
}

/** The stamp in an item description, or undefined when there is none (an item no sync manages). */
export function parseStamp(description: string | undefined): SyncStamp | undefined {
  if (!description) return undefined;
  const at = description.lastIndexOf(MARK);
  if (at < 0) return undefined;
  try {
    const parsed = SyncStamp.safeParse(JSON.parse(description.slice(at + MARK.length)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

const byName = <T extends { name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** `fp`: the digest of the source content, or undefined when a file's SHA-1 is unknown. */
export function contentDigest(files: readonly ExpectedFile[]): string | undefined {
  if (files.some((f) => !f.sha1)) return undefined;
  return sha256([...files].sort(byName).map((f) => [f.name, f.size, f.sha1!.toLowerCase()]));
}

/** `t`: the digest of the target item's current file list (the last entry per name, as vcsim repeats files). */
export function targetDigest(files: readonly ItemFileInfo[]): string {
  return sha256(
    currentFiles(files)
      .sort(byName)
      .map((f) => [
        f.name,
        f.size,
        f.checksum_info
          ? `${f.checksum_info.algorithm ?? 'SHA1'}:${f.checksum_info.checksum.toLowerCase()}`
          : '',
      ]),
  );
}

/** A change key over arbitrary parts (stat data, versions). */
export function versionKey(parts: unknown): string {
  return sha256(parts).slice(0, 32);
}
