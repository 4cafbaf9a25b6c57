/**
 * Errors of the Content Library client: one base class with a stable `code` and
 * a `retryable` verdict, subclasses chosen by one factory from the vAPI error
 * type first and the HTTP status second (as govmomi's `vapi/rest/errors.go`
 * names them). The activity layer turns these into Temporal failures; nothing
 * here knows about Temporal.
 */
import { redactString } from './redact';

/** What every Content Library error carries besides its message. */
export interface ContentLibraryErrorOptions {
  /** API operation that failed, in client vocabulary (for example `getUpdateSession`). */
  operation: string;
  /** Full message; built from the other fields when omitted. */
  message?: string;
  /** HTTP status of the response, when there was one. */
  status?: number;
  /** The server's own words (vAPI `default_message`s or a plain-text body), redacted. */
  serverMessage?: string;
  /** The vAPI error kind as sent (for example `NOT_FOUND`), when the body had one. */
  vapiType?: string;
  /** Overrides the class's retryable verdict (used by {@link TransportError}). */
  retryable?: boolean;
  /** Underlying error. */
  cause?: unknown;
}

/** Base class: `code` is stable and safe to branch on; `retryable` says whether repeating the same call can succeed. */
export class ContentLibraryError extends Error {
  override name = 'ContentLibraryError';
  readonly code: string;
  readonly retryable: boolean;
  readonly operation: string;
  readonly status?: number;
  readonly serverMessage?: string;
  readonly vapiType?: string;

  constructor(code: string, retryable: boolean, options: ContentLibraryErrorOptions) {
    super(
      options.message ?? defaultMessage(code, options),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.retryable = options.retryable ?? retryable;
    this.operation = options.operation;
    if (options.status !== undefined) this.status = options.status;
    if (options.serverMessage !== undefined) this.serverMessage = options.serverMessage;
    if (options.vapiType !== undefined) this.vapiType = options.vapiType;
  }
}

function defaultMessage(code: string, o: ContentLibraryErrorOptions): string {
  const status = o.status === undefined ? '' : ` (HTTP ${o.status})`;
  const server = o.serverMessage ? `: ${o.serverMessage}` : '';
  return `${o.operation} failed: ${code}${status}${server}`;
}

/** The object does not exist (vAPI NotFound, or any 404). */
export class NotFoundError extends ContentLibraryError {
  override name = 'NotFoundError';
  constructor(o: ContentLibraryErrorOptions) {
    super('NOT_FOUND', false, o);
  }
}

/** The session or object is in a state that forbids the call (for example completing a CANCELED session). */
export class NotAllowedInCurrentStateError extends ContentLibraryError {
  override name = 'NotAllowedInCurrentStateError';
  constructor(o: ContentLibraryErrorOptions) {
    super('NOT_ALLOWED_IN_CURRENT_STATE', false, o);
  }
}

/** The request itself is wrong (bad spec, unknown file name, malformed body). */
export class InvalidArgumentError extends ContentLibraryError {
  override name = 'InvalidArgumentError';
  constructor(o: ContentLibraryErrorOptions) {
    super('INVALID_ARGUMENT', false, o);
  }
}

/** Another session holds the item (only one update session per item); it may be released later. */
export class ResourceBusyError extends ContentLibraryError {
  override name = 'ResourceBusyError';
  constructor(o: ContentLibraryErrorOptions) {
    super('RESOURCE_BUSY', true, o);
  }
}

/** A library or item with that name already exists. */
export class AlreadyExistsError extends ContentLibraryError {
  override name = 'AlreadyExistsError';
  constructor(o: ContentLibraryErrorOptions) {
    super('ALREADY_EXISTS', false, o);
  }
}

/** Credentials were refused, or the session stayed invalid after one fresh login. */
export class UnauthenticatedError extends ContentLibraryError {
  override name = 'UnauthenticatedError';
  constructor(o: ContentLibraryErrorOptions) {
    super('UNAUTHENTICATED', false, o);
  }
}

/** Authenticated, but lacking a privilege (for example ContentLibrary.ReadStorage for DIRECT endpoints). */
export class UnauthorizedError extends ContentLibraryError {
  override name = 'UnauthorizedError';
  constructor(o: ContentLibraryErrorOptions) {
    super('UNAUTHORIZED', false, o);
  }
}

/** The service is overloaded, starting or temporarily out of resources. */
export class ServiceUnavailableError extends ContentLibraryError {
  override name = 'ServiceUnavailableError';
  constructor(o: ContentLibraryErrorOptions) {
    super('SERVICE_UNAVAILABLE', true, o);
  }
}

/** The call does not apply to this kind of object (for example an update session on a subscribed item). */
export class InvalidElementTypeError extends ContentLibraryError {
  override name = 'InvalidElementTypeError';
  constructor(o: ContentLibraryErrorOptions) {
    super('INVALID_ELEMENT_TYPE', false, o);
  }
}

/**
 * Someone else changed the object meanwhile. Not retryable as is: repeating the
 * same request repeats the same conflict; the caller must re-read first.
 */
export class ConcurrentChangeError extends ContentLibraryError {
  override name = 'ConcurrentChangeError';
  constructor(o: ContentLibraryErrorOptions) {
    super('CONCURRENT_CHANGE', false, o);
  }
}

/** The server failed (HTTP 500, vAPI InternalServerError/Error); vcsim reports failed transfers this way. */
export class InternalServerError extends ContentLibraryError {
  override name = 'InternalServerError';
  constructor(o: ContentLibraryErrorOptions) {
    super('INTERNAL_SERVER_ERROR', true, o);
  }
}

/** The connection failed: reset, refused, timed out, DNS. Retryable unless the cause is known to be permanent. */
export class TransportError extends ContentLibraryError {
  override name = 'TransportError';
  constructor(o: ContentLibraryErrorOptions) {
    super('TRANSPORT', true, o);
  }
}

/** A 2xx response whose body does not match its schema; retrying will not change the server's mind. */
export class ResponseValidationError extends ContentLibraryError {
  override name = 'ResponseValidationError';
  constructor(o: ContentLibraryErrorOptions) {
    super('RESPONSE_VALIDATION', false, o);
  }
}

/** The server's certificate was refused (untrusted, wrong host name, or thumbprint mismatch); a configuration problem, not a transient one. */
export class TlsError extends ContentLibraryError {
  override name = 'TlsError';
  /** Pinned thumbprint, when the failure is a pin mismatch. */
  readonly expectedThumbprint?: string;
  /** Thumbprint the server presented, when known. */
  readonly actualThumbprint?: string;
  constructor(o: ContentLibraryErrorOptions & { expectedThumbprint?: string; actualThumbprint?: string }) {
    super('TLS', false, o);
    if (o.expectedThumbprint !== undefined) this.expectedThumbprint = o.expectedThumbprint;
    if (o.actualThumbprint !== undefined) this.actualThumbprint = o.actualThumbprint;
  }
}

/** A response we could not classify (an unexpected status or vAPI type); permanent unless 5xx. */
export class UnexpectedResponseError extends ContentLibraryError {
  override name = 'UnexpectedResponseError';
  constructor(o: ContentLibraryErrorOptions) {
    super('UNEXPECTED_RESPONSE', (o.status ?? 0) >= 500, o);
  }
}

/** True for any error of this module, without `instanceof` (module isolation under Jest breaks it). */
export function isContentLibraryError(err: unknown): err is ContentLibraryError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ContentLibraryError>).code === 'string' &&
    typeof (err as Partial<ContentLibraryError>).retryable === 'boolean' &&
    typeof (err as Partial<ContentLibraryError>).operation === 'string'
  );
}

type ErrorClass = new (o: ContentLibraryErrorOptions) => ContentLibraryError;

/** vAPI error kinds (upper snake case, as in `/api` `error_type`) to classes. */
const byVapiType: Record<string, ErrorClass> = {
  NOT_FOUND: NotFoundError,
  NOT_ALLOWED_IN_CURRENT_STATE: NotAllowedInCurrentStateError,
  INVALID_ARGUMENT: InvalidArgumentError,
  INVALID_REQUEST: InvalidArgumentError,
  UNEXPECTED_INPUT: InvalidArgumentError,
  INVALID_ELEMENT_CONFIGURATION: InvalidArgumentError,
  OPERATION_NOT_FOUND: InvalidArgumentError,
  UNSUPPORTED: InvalidArgumentError,
  RESOURCE_BUSY: ResourceBusyError,
  // In use (for example a library with usages) clears when the user lets go, like busy.
  RESOURCE_IN_USE: ResourceBusyError,
  ALREADY_EXISTS: AlreadyExistsError,
  UNAUTHENTICATED: UnauthenticatedError,
  UNAUTHORIZED: UnauthorizedError,
  SERVICE_UNAVAILABLE: ServiceUnavailableError,
  TIMED_OUT: ServiceUnavailableError,
  UNABLE_TO_ALLOCATE_RESOURCE: ServiceUnavailableError,
  RESOURCE_INACCESSIBLE: ServiceUnavailableError,
  INVALID_ELEMENT_TYPE: InvalidElementTypeError,
  CONCURRENT_CHANGE: ConcurrentChangeError,
  INTERNAL_SERVER_ERROR: InternalServerError,
  ERROR: InternalServerError,
};

function classForStatus(status: number): ErrorClass {
  switch (status) {
    case 400:
      return InvalidArgumentError;
    case 401:
      return UnauthenticatedError;
    case 403:
      return UnauthorizedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConcurrentChangeError;
    case 429:
    case 502:
    case 503:
    case 504:
      return ServiceUnavailableError;
    case 500:
      return InternalServerError;
    default:
      return UnexpectedResponseError;
  }
}

/** Longest server text we put in a message: enough for a Go error, not a whole HTML page. */
const MAX_SERVER_MESSAGE = 500;

interface VapiErrorBody {
  vapiType?: string;
  messages: string[];
}

function messageText(m: unknown): string | undefined {
  if (typeof m === 'string') return m;
  if (m && typeof m === 'object') {
    const d = (m as { default_message?: unknown }).default_message;
    if (typeof d === 'string') return d;
  }
  return undefined;
}

function messagesOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map(messageText).filter((s): s is string => !!s);
}

/** Reads both the `/rest` shape `{type, value: {messages}}` and the `/api` shape `{error_type, messages}`. */
function parseVapiError(body: string): VapiErrorBody | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  const value = o.value && typeof o.value === 'object' ? (o.value as Record<string, unknown>) : undefined;
  let vapiType: string | undefined;
  if (typeof o.type === 'string' && o.type.includes('.')) {
    // com.vmware.vapi.std.errors.not_allowed_in_current_state -> NOT_ALLOWED_IN_CURRENT_STATE
    vapiType = o.type.slice(o.type.lastIndexOf('.') + 1).toUpperCase();
  } else if (typeof o.error_type === 'string') {
    vapiType = o.error_type.toUpperCase();
  } else if (typeof value?.error_type === 'string') {
    vapiType = value.error_type.toUpperCase();
  }
  const messages = [...messagesOf(value?.messages), ...messagesOf(o.messages)];
  if (vapiType === undefined && messages.length === 0) return undefined;
  return vapiType === undefined ? { messages } : { vapiType, messages };
}

function clip(s: string): string {
  const t = s.trim();
  return t.length > MAX_SERVER_MESSAGE ? `${t.slice(0, MAX_SERVER_MESSAGE)}…` : t;
}

/** Input of {@link errorFromResponse}. */
export interface ErrorResponse {
  /** HTTP status. */
  status: number;
  /** Response body as text (may be empty). */
  body?: string;
  /** Response `content-type`, if any. */
  contentType?: string;
  /** Client operation that received the response. */
  operation: string;
  /** Exact strings to scrub from server text (the session token, the password), beyond the generic patterns. */
  secrets?: readonly string[];
}

/**
 * Builds the error for a non-2xx response: the vAPI type decides when the body
 * has one (vCenter and vcsim send 400 for most kinds), else the status (vcsim's
 * plain-text `404 page not found`, plain-text 500 transfer failures, empty 401).
 */
export function errorFromResponse(r: ErrorResponse): ContentLibraryError {
  const body = r.body ?? '';
  const looksJson = /json/i.test(r.contentType ?? '') || /^\s*[{[]/.test(body);
  const vapi = looksJson ? parseVapiError(body) : undefined;
  let serverMessage: string | undefined;
  if (vapi) serverMessage = vapi.messages.length > 0 ? vapi.messages.join('; ') : undefined;
  else if (body.trim() !== '') serverMessage = body;
  if (serverMessage !== undefined) serverMessage = clip(redactString(serverMessage, r.secrets));

  const Cls = (vapi?.vapiType && byVapiType[vapi.vapiType]) || classForStatus(r.status);
  const options: ContentLibraryErrorOptions = { operation: r.operation, status: r.status };
  if (serverMessage !== undefined) options.serverMessage = serverMessage;
  if (vapi?.vapiType !== undefined) options.vapiType = vapi.vapiType;
  return new Cls(options);
}

/** Error codes Node and undici use for transient network trouble. */
const RETRYABLE_TRANSPORT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_INFO',
  'ERR_TRANSFER_IDLE_TIMEOUT',
]);

/** Certificate verification failures (OpenSSL's codes as Node reports them, plus our pin mismatch). */
export const CERTIFICATE_ERROR_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_THUMBPRINT_MISMATCH',
]);

/** Errors that say the request was wrong before it left, so repeating it cannot help. */
const INVALID_REQUEST_CODES = new Set([
  'ERR_INVALID_URL',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

function codeChain(err: unknown): {
  code?: string;
  message: string;
  error?: Error & { expected?: unknown; actual?: unknown };
} {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') {
      return { code, message: String((e as Error).message ?? e), error: e as Error };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * Classifies an error thrown while sending a request or reading its response:
 * TLS refusals become {@link TlsError}, resets/timeouts/refusals a retryable
 * {@link TransportError}, requests that could never succeed a non-retryable one.
 * Errors of this module pass through unchanged.
 */
export function errorFromTransport(
  err: unknown,
  operation: string,
  secrets?: readonly string[],
): ContentLibraryError {
  if (isContentLibraryError(err)) return err;
  const { code, message, error } = codeChain(err);
  const text = redactString(message, secrets);
  if (code !== undefined && (CERTIFICATE_ERROR_CODES.has(code) || code.startsWith('ERR_SSL_'))) {
    const o: ConstructorParameters<typeof TlsError>[0] = {
      operation,
      message: `${operation} failed: TLS: ${text} (${code})`,
      cause: err,
    };
    if (typeof error?.expected === 'string') o.expectedThumbprint = error.expected;
    if (typeof error?.actual === 'string') o.actualThumbprint = error.actual;
    return new TlsError(o);
  }
  if (code !== undefined && INVALID_REQUEST_CODES.has(code)) {
    return new InvalidArgumentError({
      operation,
      message: `${operation} failed: ${text} (${code})`,
      cause: err,
    });
  }
  const retryable = code === undefined || RETRYABLE_TRANSPORT_CODES.has(code);
  return new TransportError({
    operation,
    message: `${operation} failed: transport: ${text}${code ? ` (${code})` : ''}`,
    retryable,
    cause: err,
  });
}
