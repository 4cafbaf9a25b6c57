/**
 * The `uploadLibraryItem` saga's contract with its callers: input and result schemas,
 * the progress query, and the phases it reports. Shared by the workflow, the activities
 * and the client; no I/O here.
 */
import { z } from 'zod';
import {
  AbsolutePath,
  RefString,
  OutageBudgetMs,
  OutageRetryIntervalMs,
  Ref,
  TransferProgress,
} from './transfer';
import { plainHttpProblem, urlSecretsProblem } from './url-secrets';
import { SourceChecksum, SslCertificatePem, SslCertificateThumbprint } from './certificate';
import { ApprovalState, WarningsPolicy } from './approval';

// Shared with the download saga; re-exported so upload callers keep one import.
export { FileProgress, Phase, progressQuery } from './transfer';

// File.ChecksumInfo (SHA1, MD5, and 8.0.2's SHA256, SHA512) and TransferEndpoint's certificate fields.
export { SourceChecksum, SslCertificatePem, SslCertificateThumbprint } from './certificate';

/** Where the item's content comes from. Paths are on the worker's host (or a shared mount). */
export const UploadSource = z.discriminatedUnion('kind', [
  /** One file (an ISO or anything else) becomes the item's one file. */
  z.object({ kind: z.literal('file'), path: AbsolutePath, name: z.string().min(1).optional() }),
  /** An OVF descriptor; the files it references and its `.mf` manifest (if present) go along. */
  z.object({ kind: z.literal('ovf'), path: AbsolutePath }),
  /** An OVA; its tar members become the item's files, read as byte ranges of the archive. */
  z.object({ kind: z.literal('ova'), path: AbsolutePath }),
  /** A URL the vCenter pulls itself (PULL). */
  z.object({
    kind: z.literal('url'),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), { message: 'expected an http(s) URL' }),
    /** Item file name. @default the URL's last path segment */
    name: z.string().min(1).optional(),
    size: z.number().int().nonnegative().optional(),
    /** SHA-1 or SHA-256 thumbprint of the source server's certificate, for HTTPS sources (`ssl_certificate_thumbprint`). */
    sslCertificateThumbprint: SslCertificateThumbprint.optional(),
    /** The source server's certificate as PEM, which the vCenter pins (`ssl_certificate`; wins over the thumbprint). */
    sslCertificate: SslCertificatePem.optional(),
    checksum: SourceChecksum.optional(),
    /** Accept an `http://` URL, which the vCenter pulls unencrypted. @default false */
    allowPlainHttp: z.boolean().optional(),
  }),
  /**
   * An item of a library on a configured vCenter (the same or another): each file is relayed
   * from a download session on that vCenter into the update session as one stream through
   * the worker, never touching its disk.
   */
  z.object({
    kind: z.literal('library-item'),
    /** Configured vCenter connection name of the source. */
    vcenter: z.string().min(1),
    itemId: z.string().min(1),
  }),
]);
export type UploadSource = z.infer<typeof UploadSource>;

/**
 * Why a URL source must not be used, or undefined: credentials in the URL (see
 * ./url-secrets), or plain http without `allowPlainHttp`. Checked by the client before
 * the workflow starts, by the workflow, and by the planning activity.
 */
export function uploadSourceProblem(source: UploadSource): string | undefined {
  if (source.kind !== 'url') return undefined;
  return (
    urlSecretsProblem(source.url, 'source.url') ??
    plainHttpProblem(
      source.url,
      'source.url',
      source.allowPlainHttp,
      'source.allowPlainHttp: true (clo upload --allow-plain-http)',
    )
  );
}

export const UploadInput = z.object({
  /** Configured vCenter connection name; never credentials. */
  vcenter: z.string().min(1),
  library: Ref,
  item: z.union([
    z.object({ id: RefString }),
    z.object({
      name: RefString,
      /** Library item type, e.g. `ovf`, `iso`, or empty for a generic item. @default from the source */
      type: z.string().optional(),
      /** At most 64 Ki characters: the input is kept in workflow history (2 MB per payload). */
      description: z.string().max(65_536, { message: 'expected at most 65536 characters' }).optional(),
      /** Create the item when no item of that name exists. @default true */
      create: z.boolean().default(true),
    }),
  ]),
  source: UploadSource,
  options: z
    .object({
      /** Files transferred at once. @default 2 */
      fileConcurrency: z.number().int().min(1).max(16).default(2),
      /**
       * Compute each pushed file's SHA-1 while sending it, and report it in the result
       * (`files[].sha1`). Without it a file is hashed only when a manifest names its digest
       * (and checked against it): hashing costs about half of the transfer's CPU. @default false
       */
      checksum: z.boolean().optional(),
      /** How often the session is kept alive. @default the worker's CLO_KEEPALIVE_INTERVAL, else 60s */
      keepAliveIntervalMs: z.number().int().min(1000).optional(),
      /** A transfer that has not heartbeated for this long is retried on another worker. @default CLO_HEARTBEAT_TIMEOUT, else 30s */
      heartbeatTimeoutMs: z.number().int().min(1000).optional(),
      /** Remove item files that the source does not have. @default false */
      replace: z.boolean().default(false),
      /** Fail the saga (and compensate) if it has not finished within this time. */
      timeBudgetMs: z.number().int().positive().optional(),
      /** How long vCenter may be unreachable before the saga fails; compensations wait as long again. @default CLO_OUTAGE_BUDGET, else 2 hours */
      outageBudgetMs: OutageBudgetMs,
      /** How often, at most, a call is retried while vCenter is away. @default CLO_OUTAGE_RETRY_INTERVAL, else 30s */
      outageRetryIntervalMs: OutageRetryIntervalMs,
      /** When another update session holds the item, cancel it if no running workflow owns it. @default false */
      takeOver: z.boolean().default(false),
      /** New sessions the saga may start when one expires while workers were down. @default 2 */
      maxSessionRestarts: z.number().int().min(0).max(10).default(2),
      /** What to do when vCenter warns about a signed OVF/OVA's certificate (./approval). @default 'fail' */
      warnings: WarningsPolicy.optional(),
      /** How long `await-approval` waits for `clo approve` / `clo reject` before it compensates. @default 24 hours */
      approvalTimeoutMs: z
        .number()
        .int()
        .min(1000)
        .max(30 * 24 * 60 * 60 * 1000)
        .optional(),
    })
    .default({ fileConcurrency: 2, replace: false, takeOver: false, maxSessionRestarts: 2 }),
});
export type UploadInput = z.input<typeof UploadInput>;
export type ParsedUploadInput = z.infer<typeof UploadInput>;

/** The upload saga's progress: the shape every transfer saga reports (see TransferProgress). */
export const UploadProgress = TransferProgress.extend({
  /** The signing certificate, its warnings and the decisions so far (signed OVF/OVA on vSphere 8+). */
  approval: ApprovalState.optional(),
});
export type UploadProgress = z.infer<typeof UploadProgress>;

export const UploadedFile = z.object({
  name: z.string(),
  size: z.number(),
  sha1: z.string().optional(),
  bytesSent: z.number(),
  /** The file was sent again after a retry found it partial on the server. */
  resent: z.boolean(),
  /** The server already had it (READY, right size) when a retry looked, so it was not sent again. */
  skipped: z.boolean(),
});
export type UploadedFile = z.infer<typeof UploadedFile>;

export const UploadResult = z.object({
  itemId: z.string(),
  libraryId: z.string(),
  itemCreated: z.boolean(),
  contentVersion: z.string().optional(),
  /** Every update session the saga used, oldest first; more than one if a session expired. */
  sessionIds: z.array(z.string()),
  sessionRestarts: z.number(),
  files: z.array(UploadedFile),
  removedFiles: z.array(z.string()),
  /** A signed package's certificate, the warnings vCenter raised, and who accepted them. */
  approval: ApprovalState.optional(),
});
export type UploadResult = z.infer<typeof UploadResult>;
