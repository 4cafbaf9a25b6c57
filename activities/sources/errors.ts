/**
 * The one error of the source layer: a stable `code`, the path it is about, and a
 * message that names the file or field and says how to fix it. Planning runs before
 * any update session exists, so these errors are the caller's first (and cheapest)
 * chance to learn that the source is wrong.
 */

/** Every way a source can be rejected; stable, safe to branch on. */
export const SourceErrorCode = {
  SOURCE_NOT_FOUND: 'SOURCE_NOT_FOUND',
  SOURCE_UNREADABLE: 'SOURCE_UNREADABLE',
  SOURCE_NOT_A_FILE: 'SOURCE_NOT_A_FILE',
  /** An explicit `source.name` is not a single safe file name. */
  NAME_INVALID: 'NAME_INVALID',
  OVF_INVALID: 'OVF_INVALID',
  OVF_MISSING_FILE: 'OVF_MISSING_FILE',
  /** A referenced file's size differs from the descriptor's `ovf:size`. */
  OVF_SIZE_MISMATCH: 'OVF_SIZE_MISMATCH',
  OVF_UNSAFE_REFERENCE: 'OVF_UNSAFE_REFERENCE',
  MANIFEST_MALFORMED: 'MANIFEST_MALFORMED',
  MANIFEST_MISSING_FILE: 'MANIFEST_MISSING_FILE',
  /** The descriptor (the one file planning reads whole) does not hash to the manifest's digest. */
  MANIFEST_DIGEST_MISMATCH: 'MANIFEST_DIGEST_MISMATCH',
  OVA_INVALID: 'OVA_INVALID',
  OVA_UNSAFE_MEMBER: 'OVA_UNSAFE_MEMBER',
  URL_INVALID: 'URL_INVALID',
} as const;
export type SourceErrorCode = (typeof SourceErrorCode)[keyof typeof SourceErrorCode];

/** Options of {@link SourceError}. */
export interface SourceErrorOptions {
  /** The file the error is about. */
  path?: string;
  /** Whether repeating the plan can succeed (a transient I/O error such as EIO or EMFILE). @default false */
  retryable?: boolean;
  /** Underlying error. */
  cause?: unknown;
}

/** A source that cannot be uploaded as given; non-retryable unless the cause was transient I/O. */
export class SourceError extends Error {
  override name = 'SourceError';
  readonly code: SourceErrorCode;
  readonly retryable: boolean;
  readonly path?: string;

  constructor(code: SourceErrorCode, message: string, options: SourceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.path !== undefined) this.path = options.path;
  }
}
