/**
 * Errors of the Content Library client: one base class with a stable `code` and
 * a `retryable` verdict, and its subclasses (as govmomi's `vapi/rest/errors.go`
 * names them); ./error-mapping chooses one from a response or a transport failure.
 * The activity layer turns these into Temporal failures; nothing here knows about Temporal.
 */

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
