/**
 * From what the server or the network said to one error of ./errors: the vAPI error type first
 * (both the `/rest` and the `/api` body shapes), the HTTP status second, and Node's and undici's
 * error codes for transport failures (retryable or not, certificate refusals named).
 */
import {
  type ContentLibraryErrorOptions,
  AlreadyExistsError,
  ConcurrentChangeError,
  type ContentLibraryError,
  InternalServerError,
  InvalidArgumentError,
  InvalidElementTypeError,
  isContentLibraryError,
  NotAllowedInCurrentStateError,
  NotFoundError,
  ResourceBusyError,
  ServiceUnavailableError,
  TlsError,
  TransportError,
  UnauthenticatedError,
  UnauthorizedError,
  UnexpectedResponseError,
} from './errors';
import { redactString } from './redact';

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
