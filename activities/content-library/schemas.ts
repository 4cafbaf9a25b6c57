/**
 * Zod schemas for the vSphere Content Library API (`/rest` and `/api` answer the same
 * models): the single source of the client's types. Wire names stay snake_case, as on the wire.
 *
 * Tolerance policy: objects strip unknown fields (vcsim leaks internal Go fields
 * such as `Item`, `File`, `Template`); fields a Go server omits when zero
 * (`omitempty`) get their zero value as default; states and statuses are strict
 * enums, because a saga branching on an unknown state is worse than a loud
 * parse failure. Enums no saga branches on beyond "is it this known value" are
 * {@link tolerantEnum}s: a value from a newer server is logged and kept as sent
 * (LibraryModel.type, StorageBacking.type, UpdateSessionFileInfo.source_type,
 * the preview warning types).
 */
import { z } from 'zod';

import { ResponseValidationError } from './errors';

type UnknownEnumReporter = (field: string, value: string) => void;
let reportUnknownEnum: UnknownEnumReporter | undefined;

/**
 * An enum that accepts values this client does not know, for fields where the saga can go on
 * without understanding them: known values type-check as the union, others pass through as
 * the raw string and are reported to the `onUnknownEnum` of {@link parseResponse} (logged).
 */
export function tolerantEnum<const T extends readonly string[]>(values: T, field: string) {
  const known = new Set<string>(values);
  return z.string().transform((v): T[number] | (string & {}) => {
    if (!known.has(v)) reportUnknownEnum?.(field, v);
    return v;
  });
}

/** A date-time as the server sends it (RFC 3339, any sub-second precision, `Z` or an offset); kept as a string so it crosses JSON boundaries unchanged. */
export const DateTime = z.iso.datetime({ offset: true });
export type DateTime = z.infer<typeof DateTime>;

/** An array of `item`; Go encodes a nil slice as `null` (vcsim's empty lists) and servers omit empty lists: both read as `[]`. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === null || v === undefined ? [] : v), z.array(item));
}

/** `com.vmware.vapi.std.LocalizableMessage`: a server message with its catalog id. */
export const LocalizableMessage = z.object({
  // vcsim omits `id` on PULL failures, so it cannot be required.
  id: z.string().optional(),
  default_message: z.string().default(''),
  args: listOf(z.string()),
});
export type LocalizableMessage = z.infer<typeof LocalizableMessage>;

/**
 * Checksum algorithms. The seeds list SHA1 and MD5; vSphere 8 added SHA256 and
 * SHA512 (vcsim accepts them too), and a listing of an item uploaded with one of
 * them must still parse.
 */
export const ChecksumAlgorithm = z.enum(['SHA1', 'MD5', 'SHA256', 'SHA512']);
export type ChecksumAlgorithm = z.infer<typeof ChecksumAlgorithm>;

/** `File.ChecksumInfo`: a checksum and its algorithm (SHA1 when absent). */
export const ChecksumInfo = z.object({
  algorithm: ChecksumAlgorithm.optional(),
  checksum: z.string(),
});
export type ChecksumInfo = z.infer<typeof ChecksumInfo>;

/** vcsim always emits `checksum_info: {"checksum": ""}` on storage entries; an empty checksum means "no checksum". */
const optionalChecksumInfo = z.preprocess(
  (v) => (v && typeof v === 'object' && (v as { checksum?: unknown }).checksum === '' ? undefined : v),
  ChecksumInfo.optional(),
);

/**
 * `TransferEndpoint`: a transfer URI and, for HTTPS, the certificate to pin instead of normal
 * verification: a thumbprint (SHA-1 in the seeds and 8.0.2, SHA-256 in later releases) or, in
 * later releases, the PEM `ssl_certificate`, which wins when both are set (8.0.2's description
 * of `ssl_certificate_thumbprint`). Pinning: tls.ts `endpointPin`.
 */
export const TransferEndpoint = z.object({
  uri: z.string().min(1),
  ssl_certificate_thumbprint: z.string().optional(),
  ssl_certificate: z.string().optional(),
});
export type TransferEndpoint = z.infer<typeof TransferEndpoint>;

/** `TransferStatus`: where one update-session file stands. */
export const TransferStatus = z.enum([
  'WAITING_FOR_TRANSFER',
  'TRANSFERRING',
  'READY',
  'VALIDATING',
  'ERROR',
]);
export type TransferStatus = z.infer<typeof TransferStatus>;

/** `UpdateSessionModel.State`. */
export const UpdateSessionState = z.enum(['ACTIVE', 'DONE', 'ERROR', 'CANCELED']);
export type UpdateSessionState = z.infer<typeof UpdateSessionState>;

/** `updatesession.WarningType` (8.0.2): why a signed OVF/OVA's certificate is not trusted outright. */
export const WarningType = z.enum([
  'SELF_SIGNED_CERTIFICATE',
  'EXPIRED_CERTIFICATE',
  'NOT_YET_VALID_CERTIFICATE',
  'UNTRUSTED_CERTIFICATE',
]);
export type WarningType = z.infer<typeof WarningType>;
/** A warning type as answered: tolerant, since an operator can judge a type newer than this client. */
const AnsweredWarningType = tolerantEnum(WarningType.options, 'warnings.type');

/** `updatesession.PreviewInfo.State` (8.0.2). Strict: the approval saga waits on it. */
export const PreviewInfoState = z.enum(['UNAVAILABLE', 'NOT_APPLICABLE', 'PREPARING', 'AVAILABLE']);
export type PreviewInfoState = z.infer<typeof PreviewInfoState>;

/** `updatesession.CertificateInfo` (8.0.2): the certificate that signed the uploaded content. */
export const CertificateInfo = z.object({
  issuer: z.string(),
  subject: z.string(),
  self_signed: z.boolean(),
  x509: z.string(),
});
export type CertificateInfo = z.infer<typeof CertificateInfo>;

/** `updatesession.PreviewWarningInfo` (8.0.2). */
export const PreviewWarningInfo = z.object({
  type: AnsweredWarningType,
  message: LocalizableMessage,
  ignored: z.boolean(),
});
export type PreviewWarningInfo = z.infer<typeof PreviewWarningInfo>;

/** `updatesession.PreviewInfo` (8.0.2): what the server found in the content before `complete`. */
export const PreviewInfo = z.object({
  state: PreviewInfoState,
  certificate_info: CertificateInfo.optional(),
  warnings: listOf(PreviewWarningInfo),
  cert_chain: listOf(z.string()),
});
export type PreviewInfo = z.infer<typeof PreviewInfo>;

/** `updatesession.WarningBehavior` (8.0.2): whether `complete` ignores one warning type. */
export const WarningBehavior = z.object({
  type: AnsweredWarningType,
  ignored: z.boolean(),
});
export type WarningBehavior = z.infer<typeof WarningBehavior>;

/** `UpdateSessionModel`: an upload lease on one library item. */
export const UpdateSessionModel = z.object({
  // The docs say `id` is absent from get/list results; vcsim sends it.
  id: z.string().optional(),
  library_item_id: z.string(),
  library_item_content_version: z.string().optional(),
  error_message: LocalizableMessage.optional(),
  // Go omits a zero progress.
  client_progress: z.number().int().default(0),
  state: UpdateSessionState,
  expiration_time: DateTime.optional(),
  // `/api` only (vSphere 8); absent on `/rest` and on servers without signed-content checks.
  preview_info: PreviewInfo.optional(),
  warning_behavior: listOf(WarningBehavior).optional(),
});
export type UpdateSessionModel = z.infer<typeof UpdateSessionModel>;

/** `DownloadSessionModel.State`. */
export const DownloadSessionState = z.enum(['ACTIVE', 'CANCELED', 'ERROR']);
export type DownloadSessionState = z.infer<typeof DownloadSessionState>;

/** `DownloadSessionModel`: a download lease on one library item. */
export const DownloadSessionModel = z.object({
  id: z.string().optional(),
  library_item_id: z.string(),
  library_item_content_version: z.string().optional(),
  error_message: LocalizableMessage.optional(),
  client_progress: z.number().int().default(0),
  state: DownloadSessionState,
  expiration_time: DateTime.optional(),
});
export type DownloadSessionModel = z.infer<typeof DownloadSessionModel>;

/** `updatesession.File.SourceType`: PUSH (client PUTs) or PULL (server fetches). */
export const SourceType = z.enum(['NONE', 'PUSH', 'PULL']);
export type SourceType = z.infer<typeof SourceType>;

/** `updatesession.File.AddSpec`: the request body of `addUpdateSessionFile`. */
export const AddSpec = z.object({
  name: z.string().min(1),
  source_type: SourceType,
  source_endpoint: TransferEndpoint.optional(),
  size: z.number().int().nonnegative().optional(),
  checksum_info: ChecksumInfo.optional(),
});
export type AddSpec = z.infer<typeof AddSpec>;

/** `updatesession.File.Info`: one file of an update session and its transfer state. */
export const UpdateSessionFileInfo = z.object({
  name: z.string(),
  // Tolerant: callers only ask "is it PUSH/PULL" (else the file is added again).
  source_type: tolerantEnum(SourceType.options, 'UpdateSessionFileInfo.source_type'),
  size: z.number().int().optional(),
  checksum_info: ChecksumInfo.optional(),
  source_endpoint: TransferEndpoint.optional(),
  upload_endpoint: TransferEndpoint.optional(),
  bytes_transferred: z.number().int().default(0),
  status: TransferStatus,
  error_message: LocalizableMessage.optional(),
  keep_in_storage: z.boolean().optional(),
});
export type UpdateSessionFileInfo = z.infer<typeof UpdateSessionFileInfo>;

/** `updatesession.File.ValidationError`: why one file is invalid. */
export const ValidationError = z.object({
  name: z.string(),
  error_message: LocalizableMessage,
});
export type ValidationError = z.infer<typeof ValidationError>;

/** `updatesession.File.ValidationResult`: what `validateUpdateSessionFiles` found. */
export const ValidationResult = z.object({
  has_errors: z.boolean(),
  missing_files: listOf(z.string()),
  invalid_files: listOf(ValidationError),
});
export type ValidationResult = z.infer<typeof ValidationResult>;

/** `downloadsession.File.EndpointType`: HTTPS, or DIRECT storage access (needs ContentLibrary.ReadStorage). */
export const EndpointType = z.enum(['HTTPS', 'DIRECT']);
export type EndpointType = z.infer<typeof EndpointType>;

/** `downloadsession.File.PrepareStatus`. */
export const PrepareStatus = z.enum(['UNPREPARED', 'PREPARE_REQUESTED', 'PREPARING', 'PREPARED', 'ERROR']);
export type PrepareStatus = z.infer<typeof PrepareStatus>;

/** `downloadsession.File.Info`: one file of a download session; `download_endpoint` is valid only once PREPARED. */
export const DownloadSessionFileInfo = z.object({
  name: z.string(),
  size: z.number().int().optional(),
  bytes_transferred: z.number().int().default(0),
  status: PrepareStatus,
  download_endpoint: TransferEndpoint.optional(),
  checksum_info: ChecksumInfo.optional(),
  error_message: LocalizableMessage.optional(),
});
export type DownloadSessionFileInfo = z.infer<typeof DownloadSessionFileInfo>;

/** `library.item.File.Info`: a file stored in a library item. */
export const ItemFileInfo = z.object({
  name: z.string(),
  // Go omits zero and false; the docs define size 0 for uncached files.
  size: z.number().int().default(0),
  cached: z.boolean().default(false),
  version: z.string().optional(),
  checksum_info: optionalChecksumInfo,
});
export type ItemFileInfo = z.infer<typeof ItemFileInfo>;

/** `StorageBacking.Type`. */
export const StorageBackingType = z.enum(['DATASTORE', 'OTHER']);
export type StorageBackingType = z.infer<typeof StorageBackingType>;

/** `library.StorageBacking`: where a library keeps its files. */
export const StorageBacking = z.object({
  type: tolerantEnum(StorageBackingType.options, 'StorageBacking.type').optional(),
  datastore_id: z.string().optional(),
  storage_uri: z.string().optional(),
});
export type StorageBacking = z.infer<typeof StorageBacking>;

/** `library.item.Storage.Info`: a file as stored on one storage backing. */
export const StorageInfo = z.object({
  storage_backing: StorageBacking,
  storage_uris: listOf(z.string()),
  name: z.string(),
  size: z.number().int().default(0),
  cached: z.boolean().default(false),
  version: z.string().optional(),
  checksum_info: optionalChecksumInfo,
});
export type StorageInfo = z.infer<typeof StorageInfo>;

/** `LibraryModel.LibraryType`. */
export const LibraryType = z.enum(['LOCAL', 'SUBSCRIBED']);
export type LibraryType = z.infer<typeof LibraryType>;

/** `LibraryModel`: a content library. */
export const LibraryModel = z.object({
  id: z.string(),
  name: z.string(),
  // Optional because libraries created by other tools without a type must still list.
  type: tolerantEnum(LibraryType.options, 'LibraryModel.type').optional(),
  description: z.string().optional(),
  version: z.string().optional(),
  creation_time: DateTime.optional(),
  last_modified_time: DateTime.optional(),
  last_sync_time: DateTime.optional(),
  server_guid: z.string().optional(),
  storage_backings: listOf(StorageBacking),
});
export type LibraryModel = z.infer<typeof LibraryModel>;

/** `ItemModel`: a library item. */
export const ItemModel = z.object({
  id: z.string(),
  library_id: z.string(),
  name: z.string(),
  type: z.string().optional(),
  description: z.string().optional(),
  size: z.number().int().default(0),
  content_version: z.string().optional(),
  metadata_version: z.string().optional(),
  version: z.string().optional(),
  source_id: z.string().optional(),
  cached: z.boolean().default(false),
  creation_time: DateTime.optional(),
  last_modified_time: DateTime.optional(),
  last_sync_time: DateTime.optional(),
});
export type ItemModel = z.infer<typeof ItemModel>;

/** A list of identifiers (every `list` and `find` call). */
export const IdList = listOf(z.string());
export type IdList = z.infer<typeof IdList>;

/** A single identifier (every `create` call). */
export const Id = z.string().min(1);
export type Id = z.infer<typeof Id>;

/** A vCenter session token as returned by `POST /rest/com/vmware/cis/session`. */
export const SessionToken = z.string().min(1);
export type SessionToken = z.infer<typeof SessionToken>;

/**
 * Parses a server response with `schema`, throwing a non-retryable
 * {@link ResponseValidationError} whose message is `z.prettifyError(...)`: a
 * response we cannot understand will not improve on retry.
 */
export function parseResponse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
  onUnknownEnum?: UnknownEnumReporter,
): z.output<T> {
  // Parsing is synchronous, so the reporter cannot leak to another call.
  const previous = reportUnknownEnum;
  reportUnknownEnum = onUnknownEnum;
  let result;
  try {
    result = schema.safeParse(value);
  } finally {
    reportUnknownEnum = previous;
  }
  if (result.success) return result.data;
  throw new ResponseValidationError({
    operation: what,
    message: `${what}: unexpected response shape\n${z.prettifyError(result.error)}`,
  });
}
