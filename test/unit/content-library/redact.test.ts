import { redact, REDACTED, redactString } from '../../../activities/content-library/redact';

describe('redact', () => {
  it('replaces secret headers, whatever their case, and keeps the rest', () => {
    const out = redact({
      'vmware-api-session-id': 'tok-123',
      Authorization: 'Basic dXNlcjpwYXNz',
      cookie: 'vmware-api-session-id=tok-123',
      'Set-Cookie': ['a=b'],
      'content-type': 'application/json',
    });
    expect(out).toEqual({
      'vmware-api-session-id': REDACTED,
      Authorization: REDACTED,
      cookie: REDACTED,
      'Set-Cookie': REDACTED,
      'content-type': 'application/json',
    });
  });

  it('walks nested objects and arrays, and keeps client_token (an idempotency key, not a secret)', () => {
    const out = redact({
      req: { headers: { authorization: 'Bearer abc' }, body: { password: 'pw', client_token: 'uuid-1' } },
      list: [{ token: 't' }],
    });
    expect(out).toEqual({
      req: { headers: { authorization: REDACTED }, body: { password: REDACTED, client_token: 'uuid-1' } },
      list: [{ token: REDACTED }],
    });
  });

  it("handles undici's flat raw header arrays", () => {
    const out = redact(['host', 'vc', 'vmware-api-session-id', 'tok-123', 'accept', 'application/json']);
    expect(out).toEqual(['host', 'vc', 'vmware-api-session-id', REDACTED, 'accept', 'application/json']);
  });

  it('scrubs exact secrets inside string values', () => {
    expect(redact({ msg: 'failed with tok-abcdef' }, ['tok-abcdef'])).toEqual({
      msg: `failed with ${REDACTED}`,
    });
  });

  it('survives cycles and errors', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[Circular]' });
    const e = Object.assign(new Error('authorization: Basic dXNlcjpwYXNz'), { code: 'X' });
    expect(redact({ e })).toEqual({ e: { name: 'Error', message: `authorization: ${REDACTED}`, code: 'X' } });
  });

  it('does not modify its input', () => {
    const input = { authorization: 'x' };
    redact(input);
    expect(input.authorization).toBe('x');
  });
});

describe('redactString', () => {
  it.each([
    ['vmware-api-session-id: 5f1c2d3e-aaaa-bbbb', 'vmware-api-session-id: [REDACTED]'],
    [
      'Cookie vmware-api-session-id=5f1c2d3e; Path=/rest',
      'Cookie vmware-api-session-id=[REDACTED]; Path=/rest',
    ],
    ['{"vmware-api-session-id":"5f1c2d3e"}', '{"vmware-api-session-id":"[REDACTED]"}'],
    ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: [REDACTED]'],
    ['sent Bearer eyJhbGciOiJIUzI1NiJ9.x.y to vc', 'sent Bearer [REDACTED] to vc'],
    ['https://admin:s3cret@vc.example.com/rest', 'https://admin:[REDACTED]@vc.example.com/rest'],
    ['password=hunter2&user=a', 'password=[REDACTED]&user=a'],
    // Credentials in URLs (workflows/definitions/url-secrets.ts), as a server echoes them.
    ['https://ghp_0123456789@github.com/o/r', 'https://[REDACTED]@github.com/o/r'],
    [
      'source https://b.s3.amazonaws.com/x.iso?X-Amz-Signature=0a1b2c&v=2 answered HTTP 403',
      'source https://b.s3.amazonaws.com/x.iso?X-Amz-Signature=[REDACTED]&v=2 answered HTTP 403',
    ],
    ['GET /dl/x.iso?sig=abc%2Fdef&sv=2024 failed', 'GET /dl/x.iso?sig=[REDACTED]&sv=2024 failed'],
  ])('redacts %j', (input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    const s = 'getUpdateSession failed: NOT_FOUND (HTTP 404): 404 page not found';
    expect(redactString(s)).toBe(s);
  });

  it('ignores secrets too short to be tokens', () => {
    expect(redactString('a b c', ['a'])).toBe('a b c');
  });
});
