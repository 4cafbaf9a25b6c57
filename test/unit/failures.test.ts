/**
 * How errors cross into Temporal (activities/failures.ts): a SourceError that says it may
 * clear up (an index server's 503, an NFS EIO) must be retried, so it surfaces as
 * `SourceUnavailable`, which the sagas' retry policy does not list as permanent; every
 * other SourceError stays a permanent `SourceError`.
 */
import { createServer, type Server } from 'node:http';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { toApplicationFailure, withFailures } from '../../activities/failures';
import { SourceError } from '../../activities/sources';
import { unreadable } from '../../activities/sources/local-files';
import { fetchIndex } from '../../activities/sync/http-index';
import { RETRY } from '../../workflows/lib/retry';

const permanentTypes = RETRY.nonRetryableErrorTypes ?? [];

/** The failure `fn` rejects with once wrapped as an activity. */
async function failureOf(fn: () => Promise<unknown>): Promise<ApplicationFailure> {
  const { activity } = withFailures({ activity: fn });
  const err = await activity().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure))
    throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

describe('toApplicationFailure', () => {
  it('makes a retryable SourceError a retryable SourceUnavailable, a type no retry policy lists as permanent', () => {
    const failure = toApplicationFailure(
      new SourceError('SOURCE_UNREADABLE', 'catalog /srv/x is not readable (EIO)', { retryable: true }),
    ) as ApplicationFailure;
    expect(failure).toMatchObject({
      type: 'SourceUnavailable',
      nonRetryable: false,
      message: 'catalog /srv/x is not readable (EIO)',
    });
    expect(failure.details).toEqual([{ code: 'SOURCE_UNREADABLE', status: null }]);
    expect(permanentTypes).not.toContain('SourceUnavailable');
  });

  it('keeps every other SourceError a permanent SourceError', () => {
    const failure = toApplicationFailure(
      new SourceError('OVA_INVALID', 'x.ova contains no .ovf descriptor'),
    ) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'SourceError', nonRetryable: true });
    expect(permanentTypes).toContain('SourceError');
    // One made by hand without the flag is a source that is wrong, not one that is down.
    const bare = Object.assign(new Error('bad source'), { name: 'SourceError' });
    expect(toApplicationFailure(bare)).toMatchObject({ type: 'SourceError', nonRetryable: true });
  });

  it('classifies the local readers’ I/O errors by errno: EIO and EMFILE retried, EACCES not', () => {
    const io = (code: string) => Object.assign(new Error(code), { code });
    expect(toApplicationFailure(unreadable('catalog file', '/nfs/a.iso', io('EIO')))).toMatchObject({
      type: 'SourceUnavailable',
      nonRetryable: false,
    });
    expect(toApplicationFailure(unreadable('catalog file', '/nfs/a.iso', io('EMFILE')))).toMatchObject({
      type: 'SourceUnavailable',
      nonRetryable: false,
    });
    expect(toApplicationFailure(unreadable('catalog file', '/nfs/a.iso', io('EACCES')))).toMatchObject({
      type: 'SourceError',
      nonRetryable: true,
    });
  });

  it('leaves the other errors as they were: name as type, their own retryability, permanent config errors', () => {
    const busy = Object.assign(new Error('busy'), {
      name: 'ResourceBusyError',
      retryable: true,
      status: 409,
    });
    expect(toApplicationFailure(busy)).toMatchObject({ type: 'ResourceBusyError', nonRetryable: false });
    const denied = Object.assign(new Error('no'), { name: 'UnauthorizedError', retryable: false });
    expect(toApplicationFailure(denied)).toMatchObject({ type: 'UnauthorizedError', nonRetryable: true });
    const config = Object.assign(new Error('no vCenter "x"'), { name: 'ConfigError', retryable: true });
    expect(toApplicationFailure(config)).toMatchObject({ type: 'ConfigError', nonRetryable: true });
    const cancelled = new CancelledFailure('cancelled');
    expect(toApplicationFailure(cancelled)).toBe(cancelled);
  });
});

describe('an HTTP index that answers with an error status', () => {
  let server: Server;
  let base: string;
  let status = 200;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      if (status !== 200) return void res.writeHead(status).end('nope');
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((ok) => server.close(ok));
  });

  it.each([503, 500, 429, 408])(
    'fails a sync step retryably on HTTP %i (SourceUnavailable)',
    async (code) => {
      status = code;
      const failure = await failureOf(async () => fetchIndex(`${base}/index.json`));
      expect(failure).toMatchObject({ type: 'SourceUnavailable', nonRetryable: false });
      expect(failure.message).toBe(`GET ${base}/index.json answered HTTP ${code}`);
    },
  );

  it.each([404, 403])('fails it for good on HTTP %i (SourceError)', async (code) => {
    status = code;
    const failure = await failureOf(async () => fetchIndex(`${base}/index.json`));
    expect(failure).toMatchObject({ type: 'SourceError', nonRetryable: true });
  });

  it('retries a refused connection too (the index server is down)', async () => {
    const failure = await failureOf(async () => fetchIndex('http://127.0.0.1:1/index.json'));
    expect(failure).toMatchObject({ type: 'SourceUnavailable', nonRetryable: false });
    expect(failure.message).toContain('could not be fetched');
  });
});
