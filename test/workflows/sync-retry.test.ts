/**
 * A sync from an HTTP index whose server is briefly unavailable: the index document and a
 * listed file answer 503 at first and 200 after. The source errors are retryable
 * (SourceUnavailable), so Temporal retries the steps and the sync completes; a 404 stays a
 * permanent SourceError.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startSync, type SyncResult } from '../../client/sync';
import { writeRandomFile } from '../fixtures/content';
import { failureOf } from '../support/failures';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { serveFile } from '../support/serve-file';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe('syncLibrary from an HTTP index that answers 503 before 200', () => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let dir: string;
  let http: Server;
  let base: string;
  let index: unknown = [];
  /** Requests per path, and how many of the first ones answer 503 (or another status). */
  const seen = new Map<string, number>();
  let unavailable: Record<string, { first: number; status: number }> = {};

  beforeAll(async () => {
    target = await startTarget('simulator');
    worker = await startTestWorker(
      testConfig({ target: { url: target.url, username: 'user', password: 'pass' } }),
    );
    rest = restClient(target.url);
    dir = await mkdtemp(join(tmpdir(), 'clo-sync-retry-'));
    http = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const n = (seen.get(path) ?? 0) + 1;
      seen.set(path, n);
      const fault = unavailable[path];
      if (fault && n <= fault.first) return void res.writeHead(fault.status).end('come back later\n');
      if (path === '/index.json')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(index));
      serveFile(res, join(dir, path.replace(/^\/files\//, '')));
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await worker?.stop();
    await new Promise((ok) => http?.close(ok));
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => seen.clear());

  const sync = async (library: string): Promise<SyncResult> =>
    await (
      await startSync(
        worker.client,
        {
          vcenter: 'target',
          library: { name: library },
          source: { kind: 'index', url: `${base}/index.json`, allowPlainHttp: true },
        },
        { taskQueue: worker.taskQueue },
      )
    ).result();

  it('retries the index and the file check through the outage and completes the sync', async () => {
    const library = await createTestLibrary(rest, target.datastore, 'sync-503');
    const file = await writeRandomFile(join(dir, 'rescue.iso'), 300 * 1024 + 1, 'sync-retry');
    index = [{ name: 'rescue', url: `${base}/files/rescue.iso`, size: file.size, sha256: file.sha256 }];
    unavailable = {
      '/index.json': { first: 2, status: 503 },
      '/files/rescue.iso': { first: 1, status: 503 },
    };
    const result = await sync(library.name);
    expect(result.failed).toEqual([]);
    expect(result.added).toEqual(['rescue']);
    // The index answered 503 twice before the 200 the sync planned from.
    expect(seen.get('/index.json')).toBeGreaterThanOrEqual(3);
    // One 503 to the worker's SHA-256 check, then its retry, then the vCenter's pull.
    expect(seen.get('/files/rescue.iso')).toBe(3);
    const id = (await rest.findLibraryItems({ library_id: library.id, name: 'rescue' }))[0]!;
    expect(await readItemBack(rest, id)).toEqual({ 'rescue.iso': { size: file.size, sha1: file.sha1 } });
  });

  it('fails for good, without retrying, when the index is not there (404)', async () => {
    const library = await createTestLibrary(rest, target.datastore, 'sync-404');
    unavailable = { '/index.json': { first: 1000, status: 404 } };
    const err = await sync(library.name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = failureOf(err);
    expect(failure.type).toBe('SourceError');
    expect(failure.message).toContain('answered HTTP 404');
    expect(seen.get('/index.json')).toBe(1);
  });
});
