/**
 * The `syncLibrary` workflow's contract with its callers (the CLI, schedules, platform
 * services): input and result schemas, the progress query, the index document format,
 * and the deterministic workflow ids. No I/O here.
 */
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import { SslCertificateThumbprint } from './certificate';
import { hashedNameKey } from '../lib/sha256';
import { AbsolutePath, OutageBudgetMs, OutageRetryIntervalMs, Ref } from './transfer';
import { plainHttpProblem, redactUrlSecrets, urlSecretsProblem } from './url-secrets';

const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'expected an http(s) URL' });
const Hex = (length: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), { message: `expected ${length} hex digits` })
    .transform((h) => h.toLowerCase());

/** What a sync mirrors into the target library. */
export const SyncSource = z.discriminatedUnion('kind', [
  /**
   * A directory on the worker host (or a shared mount), walked recursively (hidden entries
   * skipped): every `*.ova`, every `*.ovf` (with the files it references and its `.mf`/`.cert`)
   * and every `*.iso` becomes one item named after the file without its extension. Other
   * files are ignored and listed in the result.
   */
  z.object({ kind: z.literal('catalog'), path: AbsolutePath }),
  /** A library on a configured vCenter (another or the same); bytes are relayed through the worker, never to disk. */
  z.object({ kind: z.literal('library'), vcenter: z.string().min(1), library: Ref }),
  /** An HTTP(S) JSON index ({@link SyncIndex}) whose files the target vCenter pulls itself. */
  z.object({
    kind: z.literal('index'),
    url: HttpUrl,
    /** SHA-1 or SHA-256 thumbprint of the index server's certificate, for the worker and for the vCenter's pulls. */
    sslCertificateThumbprint: SslCertificateThumbprint.optional(),
    /**
     * Before the vCenter pulls a new or changed file, the worker streams it once to check the
     * index's SHA-256 and derive the SHA-1 the pull is then verified against (vCenter checks
     * SHA-1/MD5 only). Off: only the size, and the SHA-1 if the index lists one, are checked. @default true
     */
    verify: z.boolean().default(true),
    /**
     * Accept an `http://` index URL and `http://` files in it: the worker fetches the index and
     * the vCenter pulls the files unencrypted. @default false
     */
    allowPlainHttp: z.boolean().optional(),
  }),
]);
export type SyncSource = z.infer<typeof SyncSource>;

/** The CLI option and input field that allow plain http for an index source, for messages. */
export const SYNC_PLAIN_HTTP_FLAG = 'source.allowPlainHttp: true (clo sync --allow-plain-http)';

/**
 * Why an index source's URL must not be used, or undefined: credentials in the URL (see
 * ./url-secrets), or plain http without `allowPlainHttp`. Checked by the client before
 * the workflow starts and by the workflow.
 */
export function syncSourceProblem(source: SyncSource): string | undefined {
  if (source.kind !== 'index') return undefined;
  return (
    urlSecretsProblem(source.url, 'source.url') ??
    plainHttpProblem(source.url, 'source.url', source.allowPlainHttp, SYNC_PLAIN_HTTP_FLAG)
  );
}

/** One item of an index document. */
export const SyncIndexEntry = z.object({
  /** Item name in the target library. */
  name: z.string().min(1),
  /** The file to pull: absolute, or relative to the index's URL. The item file is named after its last path segment. */
  url: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** Identifies the content: an entry whose SHA-256 and size match the last sync's is not pulled again. */
  sha256: Hex(64),
  /** When given, the vCenter verifies the pull against it. */
  sha1: Hex(40).optional(),
  /** Library item type. @default from the file extension (`iso`, `ovf`, else none) */
  type: z.string().optional(),
});
export type SyncIndexEntry = z.infer<typeof SyncIndexEntry>;

/** An index document: `{"items": [...]}` or a bare array of {@link SyncIndexEntry}. */
export const SyncIndex = z
  .union([z.array(SyncIndexEntry), z.object({ items: z.array(SyncIndexEntry) })])
  .transform((v) => (Array.isArray(v) ? v : v.items));
export type SyncIndex = z.output<typeof SyncIndex>;

export const SyncInput = z.object({
  /** Configured vCenter connection name of the target; never credentials. */
  vcenter: z.string().min(1),
  /** The target library (it must exist). */
  library: Ref,
  source: SyncSource,
  /** Delete items this sync manages that the source no longer has. @default false */
  prune: z.boolean().default(false),
  options: z
    .object({
      /** Items transferred at once, each as a child upload saga. @default 2 */
      itemConcurrency: z.number().int().min(1).max(16).default(2),
      /** Items per workflow run; the sync continues as new after each batch so its history stays bounded. @default 100 */
      batchSize: z.number().int().min(1).max(1000).default(100),
      /** Hash catalog files on every run instead of trusting an unchanged size, mtime, ctime and inode. @default false */
      checksum: z.boolean().default(false),
      /** Files per item transferred at once. @default 2 */
      fileConcurrency: z.number().int().min(1).max(16).default(2),
      /** Passed to each upload. @default the worker's CLO_KEEPALIVE_INTERVAL, else 60s */
      keepAliveIntervalMs: z.number().int().min(1000).optional(),
      /** Passed to each upload. @default CLO_HEARTBEAT_TIMEOUT, else 30s */
      heartbeatTimeoutMs: z.number().int().min(1000).optional(),
      /** Passed to each upload: how long it waits out an unreachable vCenter. @default CLO_OUTAGE_BUDGET, else 2 hours */
      outageBudgetMs: OutageBudgetMs,
      /** Passed to each upload: how often, at most, it retries a vCenter that is away. @default CLO_OUTAGE_RETRY_INTERVAL, else 30s */
      outageRetryIntervalMs: OutageRetryIntervalMs,
      /**
       * Name the library and the items in workflow ids (the sync's and its child uploads') by
       * `name-sha256:<16 hex digits>` instead of the name, because ids are stored in clear. The
       * client sets it when payload encryption is on (codec/); an input without it gets the ids
       * of old, which is also what recorded histories replay with. @default false
       */
      hashNames: z.boolean().optional(),
    })
    .prefault({}),
});
export type SyncInput = z.input<typeof SyncInput>;
export type ParsedSyncInput = z.infer<typeof SyncInput>;

/** Where a sync stands; also the `CloPhase` search attribute. */
export const SyncPhase = z.enum(['planning', 'transferring', 'pruning', 'done', 'failed']);
export type SyncPhase = z.infer<typeof SyncPhase>;

export const SyncCounts = z.object({
  added: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  removed: z.number(),
  failed: z.number(),
  ignored: z.number(),
});
export type SyncCounts = z.infer<typeof SyncCounts>;

/** An item the sync could not bring up to date, and why. */
export const SyncFailure = z.object({
  name: z.string(),
  reason: z.string(),
  /** The failure type (ApplicationFailure type), when there was one. */
  type: z.string().optional(),
});
export type SyncFailure = z.infer<typeof SyncFailure>;

/** A source entry that is not an item (a catalog file of no known kind, an empty source item). */
export const SyncIgnored = z.object({ path: z.string(), reason: z.string() });
export type SyncIgnored = z.infer<typeof SyncIgnored>;

export const SyncResult = z.object({
  vcenter: z.string(),
  libraryId: z.string(),
  /** The source's identity, as recorded on every item the sync manages. */
  source: z.string(),
  counts: SyncCounts,
  /** Item names (the counts are exact; the lists stop at 1000 entries each, see `truncated`). */
  added: z.array(z.string()),
  updated: z.array(z.string()),
  removed: z.array(z.string()),
  failed: z.array(SyncFailure),
  ignored: z.array(SyncIgnored),
  /** Bytes the worker sent or the vCenter pulled for added and updated items. */
  bytesTransferred: z.number(),
  /** Workflow runs the sync took (it continues as new after each batch). */
  runs: z.number(),
  /** Why prune did nothing, when it was asked for and refused (an empty source). */
  pruneRefused: z.string().optional(),
  truncated: z.boolean(),
});
export type SyncResult = z.infer<typeof SyncResult>;

/** What the `syncProgress` query returns: the result so far, and the phase. */
export const SyncProgress = SyncResult.extend({ phase: SyncPhase });
export type SyncProgress = z.infer<typeof SyncProgress>;

/** The sync's counts and lists so far. */
export const syncProgressQuery = defineQuery<SyncProgress>('syncProgress');

/**
 * The deterministic workflow id of the sync into one library: `sync/<vcenter>/<library id or name>`,
 * or with `hashNames` (payload encryption on) `sync/<vcenter>/<library id or name-sha256:…>`.
 */
export function syncWorkflowId(
  input: { vcenter: string; library: { id: string } | { name: string } },
  hashNames = false,
): string {
  const { library } = input;
  const key = 'id' in library ? library.id : hashNames ? hashedNameKey(library.name) : library.name;
  return `sync/${input.vcenter}/${key}`;
}

/**
 * The workflow id of the upload saga a sync runs for one item: scoped to the sync, so two syncs
 * never share one; with `hashNames`, the item is named by `name-sha256:…`.
 */
export function syncItemWorkflowId(syncId: string, itemName: string, hashNames = false): string {
  return `${syncId}/item/${hashNames ? hashedNameKey(itemName) : itemName}`;
}

/**
 * The source's identity, recorded on every item the sync manages: prune deletes only items
 * carrying it. A library source is named by its id (resolved on the source vCenter), so
 * naming it by name or by id later makes no difference.
 */
export function syncSourceKey(source: SyncSource, sourceLibraryId?: string): string {
  switch (source.kind) {
    case 'catalog':
      return `catalog:${source.path.replace(/\/+$/, '') || '/'}`;
    case 'library':
      return `library:${source.vcenter}/${sourceLibraryId ?? ('id' in source.library ? source.library.id : source.library.name)}`;
    case 'index':
      // Credential URLs are refused before a sync runs, so this is the URL as given (and
      // existing stamps keep matching); redacting anyway keeps a secret off the vCenter
      // should one ever get this far.
      return `index:${redactUrlSecrets(source.url)}`;
  }
}
