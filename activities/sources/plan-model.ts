/**
 * The shape of a plan: which files an upload sends, where each one's bytes come from,
 * and what digest the package's manifest promises for it. A plan is an activity result
 * that the workflow keeps in its history, so it is plain data (no streams, no handles),
 * and it carries positions, never content.
 */
import { z } from 'zod';
import { ManifestDigest } from './manifest';

/** Bytes [offset, offset + length) of a file on the worker's disk; an OVA member is a range of the archive. */
export const FileOrigin = z.object({
  kind: z.literal('file'),
  path: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});
export type FileOrigin = z.infer<typeof FileOrigin>;

/** A URL the vCenter fetches itself (PULL). */
export const UrlOrigin = z.object({
  kind: z.literal('url'),
  url: z.string(),
  sslCertificateThumbprint: z.string().optional(),
  /** PEM of the source server's certificate, sent as the endpoint's `ssl_certificate`. */
  sslCertificate: z.string().optional(),
  checksum: z
    .object({ algorithm: z.enum(['SHA1', 'MD5', 'SHA256', 'SHA512']), checksum: z.string() })
    .optional(),
});
export type UrlOrigin = z.infer<typeof UrlOrigin>;

/** A file of an item in a library on a configured vCenter, relayed through the worker (download session → update session). */
export const LibraryItemOrigin = z.object({
  kind: z.literal('library-item'),
  /** Configured vCenter connection name of the source. */
  vcenter: z.string(),
  itemId: z.string(),
  /** The file's name in the source item. */
  fileName: z.string(),
  /** The source item's content version when planned; a relay that finds another one fails rather than mix versions. */
  contentVersion: z.string().optional(),
});
export type LibraryItemOrigin = z.infer<typeof LibraryItemOrigin>;

/** A file whose bytes the worker streams; its size is always known. */
export const PlannedLocalFile = z.object({
  /** The item file name: a single path segment. */
  name: z.string(),
  /** Bytes, equal to `origin.length`. */
  size: z.number().int().nonnegative(),
  origin: FileOrigin,
  /** Digest from the package's OVF manifest, when it lists this file. */
  manifest: ManifestDigest.optional(),
});
export type PlannedLocalFile = z.infer<typeof PlannedLocalFile>;

/** A file the vCenter pulls; its size is known only if the caller gave it. */
export const PlannedUrlFile = z.object({
  /** The item file name: a single path segment. */
  name: z.string(),
  /** Bytes, as the caller stated them; undefined when unknown. */
  size: z.number().int().nonnegative().optional(),
  origin: UrlOrigin,
  manifest: ManifestDigest.optional(),
});
export type PlannedUrlFile = z.infer<typeof PlannedUrlFile>;

/** A file relayed from another library item; its size is the source's. */
export const PlannedRelayFile = z.object({
  /** The item file name: a single path segment. */
  name: z.string(),
  size: z.number().int().nonnegative(),
  origin: LibraryItemOrigin,
  manifest: ManifestDigest.optional(),
});
export type PlannedRelayFile = z.infer<typeof PlannedRelayFile>;

/** One file of the item to be; narrow with {@link isLocalFile}. */
export const PlannedFile = z.union([PlannedLocalFile, PlannedUrlFile, PlannedRelayFile]);
export type PlannedFile = z.infer<typeof PlannedFile>;

/** Everything an upload will send, checked before any session is created. */
export const SourcePlan = z.object({
  kind: z.enum(['file', 'ovf', 'ova', 'url', 'library-item']),
  /** Suggested library item type: `ovf` for OVF/OVA, `iso` for `*.iso`, else `file`. */
  itemType: z.enum(['ovf', 'iso', 'file']),
  /** A human name for the source, e.g. `photon.ova`. */
  displayName: z.string(),
  /** In upload order: for OVF/OVA the manifest and certificate, then the descriptor, then the rest. */
  files: z.array(PlannedFile),
  /** Sum of the known file sizes (a URL file without a stated size counts 0). */
  totalBytes: z.number().int().nonnegative(),
});
export type SourcePlan = z.infer<typeof SourcePlan>;

/** True for a file the worker streams from disk (as opposed to one the vCenter pulls). */
export function isLocalFile(file: PlannedFile): file is PlannedLocalFile {
  return file.origin.kind === 'file';
}

/** A local file planned whole, from offset 0. */
export function wholeFile(name: string, path: string, size: number): PlannedLocalFile {
  return { name, size, origin: { kind: 'file', path, offset: 0, length: size } };
}

/** Sum of the known sizes. */
export function totalBytesOf(files: readonly PlannedFile[]): number {
  return files.reduce((sum, f) => sum + (f.size ?? 0), 0);
}

/** The suggested item type for a file name: `iso` for `*.iso`, `ovf` for `*.ovf`/`*.ova`, else `file`. */
export function itemTypeFor(name: string): SourcePlan['itemType'] {
  const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
  if (ext === 'iso') return 'iso';
  if (ext === 'ovf' || ext === 'ova') return 'ovf';
  return 'file';
}
