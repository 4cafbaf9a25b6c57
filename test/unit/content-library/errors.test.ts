import {
  type ContentLibraryError,
  isContentLibraryError,
  NotFoundError,
} from '../../../activities/content-library/errors';
import { errorFromResponse, errorFromTransport } from '../../../activities/content-library/error-mapping';

function vapi(kind: string, messages: string[] = []) {
  return JSON.stringify({
    type: `com.vmware.vapi.std.errors.${kind}`,
    value: { messages: messages.map((m) => ({ id: 'com.vmware.x', default_message: m, args: [] })) },
  });
}

describe('errorFromResponse: vAPI /rest bodies', () => {
  it.each([
    ['not_found', 'NotFoundError', 'NOT_FOUND', false],
    ['not_allowed_in_current_state', 'NotAllowedInCurrentStateError', 'NOT_ALLOWED_IN_CURRENT_STATE', false],
    ['invalid_argument', 'InvalidArgumentError', 'INVALID_ARGUMENT', false],
    ['resource_busy', 'ResourceBusyError', 'RESOURCE_BUSY', true],
    ['already_exists', 'AlreadyExistsError', 'ALREADY_EXISTS', false],
    ['unauthenticated', 'UnauthenticatedError', 'UNAUTHENTICATED', false],
    ['unauthorized', 'UnauthorizedError', 'UNAUTHORIZED', false],
    ['service_unavailable', 'ServiceUnavailableError', 'SERVICE_UNAVAILABLE', true],
    ['invalid_element_type', 'InvalidElementTypeError', 'INVALID_ELEMENT_TYPE', false],
    ['concurrent_change', 'ConcurrentChangeError', 'CONCURRENT_CHANGE', false],
    ['internal_server_error', 'InternalServerError', 'INTERNAL_SERVER_ERROR', true],
    ['error', 'InternalServerError', 'INTERNAL_SERVER_ERROR', true],
  ])('maps %s to %s', (kind, name, code, retryable) => {
    const e = errorFromResponse({
      status: 400,
      body: vapi(kind, ['server says no']),
      contentType: 'application/json',
      operation: 'op',
    });
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.status).toBe(400);
    expect(e.operation).toBe('op');
    expect(e.serverMessage).toBe('server says no');
    expect(e.message).toBe(`op failed: ${code} (HTTP 400): server says no`);
  });

  it('lets the vAPI type win over the status', () => {
    const e = errorFromResponse({ status: 400, body: vapi('not_found'), operation: 'getUpdateSession' });
    expect(e.name).toBe('NotFoundError');
    expect(e.vapiType).toBe('NOT_FOUND');
  });

  it('reads vcsim bodies, which have no content-type and no messages', () => {
    const e = errorFromResponse({
      status: 400,
      body: '{"type":"com.vmware.vapi.std.errors.already_exists","value":{}}\n',
      operation: 'createLibraryItem',
    });
    expect(e.name).toBe('AlreadyExistsError');
    expect(e.serverMessage).toBeUndefined();
    expect(e.message).toBe('createLibraryItem failed: ALREADY_EXISTS (HTTP 400)');
  });

  it('joins several messages', () => {
    const e = errorFromResponse({
      status: 400,
      body: vapi('invalid_argument', ['first', 'second']),
      operation: 'op',
    });
    expect(e.serverMessage).toBe('first; second');
  });

  it('reads the /api shape {error_type, messages}', () => {
    const body = JSON.stringify({
      error_type: 'NOT_ALLOWED_IN_CURRENT_STATE',
      messages: [{ id: 'x', default_message: 'session is DONE', args: [] }],
    });
    const e = errorFromResponse({
      status: 400,
      body,
      contentType: 'application/json',
      operation: 'completeUpdateSession',
    });
    expect(e.name).toBe('NotAllowedInCurrentStateError');
    expect(e.serverMessage).toBe('session is DONE');
  });

  it('reads the vSphere 7 /rest shape with error_type inside value', () => {
    const body = JSON.stringify({
      type: 'ignored-no-dots',
      value: { error_type: 'RESOURCE_BUSY', messages: [] },
    });
    expect(errorFromResponse({ status: 400, body, operation: 'op' }).name).toBe('ResourceBusyError');
  });

  it('falls back to the status for an unknown vAPI type', () => {
    const e = errorFromResponse({ status: 400, body: vapi('brand_new_kind', ['x']), operation: 'op' });
    expect(e.name).toBe('InvalidArgumentError');
    expect(e.vapiType).toBe('BRAND_NEW_KIND');
  });
});

describe('errorFromResponse: status only', () => {
  it("maps vcsim's plain-text 404", () => {
    const e = errorFromResponse({
      status: 404,
      body: '404 page not found\n',
      contentType: 'text/plain; charset=utf-8',
      operation: 'getLibrary',
    });
    expect(e.name).toBe('NotFoundError');
    expect(e.code).toBe('NOT_FOUND');
    expect(e.retryable).toBe(false);
    expect(e.serverMessage).toBe('404 page not found');
    expect(e.message).toBe('getLibrary failed: NOT_FOUND (HTTP 404): 404 page not found');
  });

  it('maps a plain-text 500 to a retryable InternalServerError carrying the text', () => {
    const e = errorFromResponse({
      status: 500,
      body: 'open /tmp/x/disk.bin: no such file or directory\n',
      contentType: 'text/plain',
      operation: 'downloadFromEndpoint',
    });
    expect(e.name).toBe('InternalServerError');
    expect(e.retryable).toBe(true);
    expect(e.serverMessage).toBe('open /tmp/x/disk.bin: no such file or directory');
  });

  it('maps an empty 401 to UnauthenticatedError', () => {
    const e = errorFromResponse({ status: 401, body: '', operation: 'listLibraries' });
    expect(e.name).toBe('UnauthenticatedError');
    expect(e.serverMessage).toBeUndefined();
    expect(e.message).toBe('listLibraries failed: UNAUTHENTICATED (HTTP 401)');
  });

  it.each([
    [403, 'UnauthorizedError', false],
    [409, 'ConcurrentChangeError', false],
    [429, 'ServiceUnavailableError', true],
    [503, 'ServiceUnavailableError', true],
    [504, 'ServiceUnavailableError', true],
    [418, 'UnexpectedResponseError', false],
    [507, 'UnexpectedResponseError', true],
  ])('maps HTTP %i to %s', (status, name, retryable) => {
    const e = errorFromResponse({ status, body: '', operation: 'op' });
    expect(e.name).toBe(name);
    expect(e.retryable).toBe(retryable);
  });

  it('clips a huge body', () => {
    const e = errorFromResponse({
      status: 502,
      body: '<html>' + 'x'.repeat(5000),
      contentType: 'text/html',
      operation: 'op',
    });
    expect(e.serverMessage!.length).toBeLessThanOrEqual(501);
  });

  it('never carries a session token or Authorization value echoed by the server', () => {
    const token = 'b1946ac9-2b5a-4d48-9c2a-6f3b0e2c3a11';
    const body = `bad request: vmware-api-session-id: ${token}; Authorization: Basic dXNlcjpzM2NyZXQ=`;
    const e = errorFromResponse({ status: 500, body, operation: 'op', secrets: [token] });
    expect(e.message).not.toContain(token);
    expect(e.message).not.toContain('dXNlcjpzM2NyZXQ=');
    expect(e.serverMessage).not.toContain(token);
    expect(e.message).toContain('[REDACTED]');
  });

  it('scrubs exact secrets anywhere in vAPI messages', () => {
    const e = errorFromResponse({
      status: 400,
      body: vapi('invalid_argument', ['password hunter22 rejected']),
      operation: 'login',
      secrets: ['hunter22'],
    });
    expect(e.message).not.toContain('hunter22');
  });
});

describe('errorFromTransport', () => {
  const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'UND_ERR_SOCKET',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
  ])('maps %s to a retryable TransportError', (code) => {
    const e = errorFromTransport(withCode(code, 'socket trouble'), 'getUpdateSession');
    expect(e.name).toBe('TransportError');
    expect(e.code).toBe('TRANSPORT');
    expect(e.retryable).toBe(true);
    expect(e.message).toBe(`getUpdateSession failed: transport: socket trouble (${code})`);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('finds the code on a wrapped cause (as fetch wraps it)', () => {
    const e = errorFromTransport(new TypeError('fetch failed', { cause: withCode('ECONNRESET') }), 'op');
    expect(e.name).toBe('TransportError');
    expect(e.retryable).toBe(true);
  });

  it.each([
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ])('maps %s to a non-retryable TlsError', (code) => {
    const e = errorFromTransport(withCode(code, 'cert trouble'), 'login');
    expect(e.name).toBe('TlsError');
    expect(e.code).toBe('TLS');
    expect(e.retryable).toBe(false);
  });

  it('carries the thumbprints of a pin mismatch', () => {
    const err = Object.assign(new Error('mismatch'), {
      code: 'ERR_TLS_THUMBPRINT_MISMATCH',
      expected: 'AA:BB',
      actual: 'CC:DD',
    });
    const e = errorFromTransport(err, 'login') as ContentLibraryError & {
      expectedThumbprint?: string;
      actualThumbprint?: string;
    };
    expect(e.name).toBe('TlsError');
    expect(e.expectedThumbprint).toBe('AA:BB');
    expect(e.actualThumbprint).toBe('CC:DD');
  });

  it('treats a malformed request as a non-retryable InvalidArgumentError', () => {
    const e = errorFromTransport(withCode('ERR_INVALID_URL', 'Invalid URL'), 'op');
    expect(e.name).toBe('InvalidArgumentError');
    expect(e.retryable).toBe(false);
  });

  it('does not retry an unknown coded error such as a local file error', () => {
    const e = errorFromTransport(withCode('ENOENT', 'no such file'), 'uploadToEndpoint');
    expect(e.name).toBe('TransportError');
    expect(e.retryable).toBe(false);
  });

  it('passes errors of this module through unchanged', () => {
    const original = new NotFoundError({ operation: 'x' });
    expect(errorFromTransport(original, 'y')).toBe(original);
  });

  it('redacts credentials that appear in a transport error message', () => {
    const e = errorFromTransport(
      withCode('ECONNRESET', 'reset while sending authorization: Basic dXNlcjpwYXNzd29yZA=='),
      'login',
    );
    expect(e.message).not.toContain('dXNlcjpwYXNzd29yZA==');
  });
});

describe('error classes', () => {
  it('are recognisable without instanceof', () => {
    const e = new NotFoundError({ operation: 'getLibrary', status: 404 });
    expect(isContentLibraryError(e)).toBe(true);
    expect(isContentLibraryError(new Error('x'))).toBe(false);
    expect(e.name).toBe('NotFoundError');
    expect(e.stack).toContain('NotFoundError');
  });
});
