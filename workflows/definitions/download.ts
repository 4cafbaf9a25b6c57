/**
 * The `downloadLibraryItem` saga's contract with its callers: input and result schemas
 * and the file filter. The progress query and phases are the upload's (./transfer).
 * Shared by the workflow, the activities and the client; no I/O here.
 */
import { z } from 'zod';
import { AbsolutePath, MAX_NAME_LENGTH, OutageBudgetMs, OutageRetryIntervalMs, Ref } from './transfer';

/**
 * Which files of the item to download: a list of entries, each an exact file name or a
 * glob-ish pattern where `*` matches any run of characters and `?` one character (no
 * other syntax; matching is case-sensitive and covers the whole name). A single string
 * is a list of one. Every entry must match at least one file of the item.
 */
export const FileFilter = z
  .union([
    z
      .string()
      .min(1)
      .max(MAX_NAME_LENGTH, { message: `expected at most ${MAX_NAME_LENGTH} characters` }),
    z
      .array(
        z
          .string()
          .min(1)
          .max(MAX_NAME_LENGTH, { message: `expected at most ${MAX_NAME_LENGTH} characters` }),
      )
      .min(1),
  ])
  .transform((v) => (typeof v === 'string' ? [v] : v))
  // An item has a handful of files and the list is kept in workflow history. Checked after the
  // union, whose own failure would only say "Invalid input".
  .refine((v) => v.length <= 1000, { message: 'expected at most 1000 file names' });
export type FileFilter = z.input<typeof FileFilter>;

export const DownloadInput = z.object({
  /** Configured vCenter connection name; never credentials. */
  vcenter: z.string().min(1),
  library: Ref,
  item: Ref,
  /** Directory on the worker host that receives the files; created if missing. */
  destination: AbsolutePath,
  /** Download only these files. @default every file of the item */
  files: FileFilter.optional(),
  /** HTTPS streams through vCenter; DIRECT names the file on storage (`file://` only; needs ContentLibrary.ReadStorage). @default 'HTTPS' */
  endpointType: z.enum(['HTTPS', 'DIRECT']).default('HTTPS'),
  /** Replace files that already exist in the destination. @default false */
  overwrite: z.boolean().default(false),
  options: z
    .object({
      /** Files downloaded at once. @default 2 */
      fileConcurrency: z.number().int().min(1).max(16).default(2),
      /**
       * Compute each file's SHA-1 while receiving it, and report it in the result (`files[].sha1`).
       * Without it a file is hashed only with the algorithm the server names for it (`checksum_info`,
       * which it is then checked against); vcsim names none, so nothing is hashed there: SHA-1
       * costs ~0.6-0.9 s of CPU per GiB. @default false
       */
      checksum: z.boolean().optional(),
      /** How often the session is kept alive. @default the worker's CLO_KEEPALIVE_INTERVAL, else 60s */
      keepAliveIntervalMs: z.number().int().min(1000).optional(),
      /** A download that has not heartbeated for this long is retried. @default CLO_HEARTBEAT_TIMEOUT, else 30s */
      heartbeatTimeoutMs: z.number().int().min(1000).optional(),
      /** How long vCenter may be unreachable before the saga fails; compensations wait as long again. @default CLO_OUTAGE_BUDGET, else 2 hours */
      outageBudgetMs: OutageBudgetMs,
      /** How often, at most, a call is retried while vCenter is away. @default CLO_OUTAGE_RETRY_INTERVAL, else 30s */
      outageRetryIntervalMs: OutageRetryIntervalMs,
      /** How long a download waits for its host's worker (`<queue>@<host>`) to come back before it fails and compensates. @default CLO_HOST_WAIT_TIMEOUT, else 1 hour */
      hostWaitTimeoutMs: z.number().int().min(1000).optional(),
      /** How long the server may take to prepare the files. @default 6 hours */
      prepareTimeoutMs: z
        .number()
        .int()
        .min(1000)
        .default(6 * 60 * 60 * 1000),
      /** New sessions the saga may start when one expires while workers were down. @default 2 */
      maxSessionRestarts: z.number().int().min(0).max(10).default(2),
    })
    .prefault({}),
});
export type DownloadInput = z.input<typeof DownloadInput>;
export type ParsedDownloadInput = z.infer<typeof DownloadInput>;

/** A checksum as the server reported it (`checksum_info`). */
export const ServerChecksum = z.object({
  algorithm: z.enum(['SHA1', 'MD5', 'SHA256', 'SHA512']),
  checksum: z.string(),
});
export type ServerChecksum = z.infer<typeof ServerChecksum>;

export const DownloadedFile = z.object({
  name: z.string(),
  /** Where the file now is: `<destination>/<name>`. */
  path: z.string(),
  size: z.number(),
  /**
   * SHA-1 of the file on disk, lowercase hex: present when `options.checksum` asked for it, or when
   * the server's checksum is a SHA-1 (then equal to `serverChecksum.checksum`); runs started before
   * `options.checksum` existed report it always.
   */
  sha1: z.string().optional(),
  /** The server's checksum the file was compared with; absent when the server gave none (vcsim). */
  serverChecksum: ServerChecksum.optional(),
  /** `checksum` when compared with serverChecksum (and the size); `size` when the server offered only a size. */
  verifiedBy: z.enum(['checksum', 'size']),
  /** A retry continued from bytes already on disk, with an HTTP Range request. */
  resumed: z.boolean(),
  /** The byte the last attempt started at (0 unless resumed). */
  resumedFrom: z.number(),
  /** Bytes of an earlier attempt that were thrown away (the server ignored Range, or a resumed file failed its check). */
  discardedBytes: z.number(),
  /** Bytes the last attempt received over the wire. */
  bytesFetched: z.number(),
  /** The download session the file came through. */
  sessionId: z.string(),
  /**
   * The file was already in the destination and is the server's (a retry after the rename into
   * place, or a re-run of a failed download): kept, not replaced. Absent when the file was written.
   */
  kept: z.boolean().optional(),
});
export type DownloadedFile = z.infer<typeof DownloadedFile>;

export const DownloadResult = z.object({
  libraryId: z.string(),
  itemId: z.string(),
  /** The destination as the worker resolved it (symbolic links followed). */
  destination: z.string(),
  /** The task queue of the worker host that wrote the files. */
  hostTaskQueue: z.string(),
  /** Every download session the saga used, oldest first; more than one if a session expired. */
  sessionIds: z.array(z.string()),
  sessionRestarts: z.number(),
  totalBytes: z.number(),
  files: z.array(DownloadedFile),
});
export type DownloadResult = z.infer<typeof DownloadResult>;

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, 's');
}

/**
 * The names `filter` selects, in the order of `names`, and the filter entries that
 * matched nothing. Without a filter every name is selected.
 */
export function selectFiles(
  names: readonly string[],
  filter: readonly string[] | undefined,
): { selected: string[]; unmatched: string[] } {
  if (!filter) return { selected: [...names], unmatched: [] };
  const matchers = filter.map((entry) => ({ entry, re: globToRegExp(entry) }));
  const used = new Set<string>();
  const selected = names.filter((name) => {
    const hits = matchers.filter((m) => m.re.test(name));
    for (const m of hits) used.add(m.entry);
    return hits.length > 0;
  });
  return { selected, unmatched: filter.filter((e) => !used.has(e)) };
}
