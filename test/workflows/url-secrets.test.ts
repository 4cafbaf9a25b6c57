/**
 * Secrets in URLs never reach history, the vCenter or the logs: a URL source or index URL
 * carrying credentials is refused by the client before a workflow exists, and by the
 * workflow itself when a caller bypasses the client; a PULL that fails after a redirect to a
 * presigned URL (the server echoing it) fails with PullFailed naming it redacted; an index
 * entry with a token fails alone, and the synced items' descriptions hold no secret.
 * A real worker process at debug level, so its log lines are checked too.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startSync } from '../../client/sync';
import { startUpload, uploadWorkflowId, type UploadInput } from '../../client/upload';
import { syncWorkflowId, type SyncInput } from '../../workflows/definitions/sync';
import { writeRandomFile, type ExpectedFile } from '../fixtures/content';
import { failureOf } from '../support/failures';
import { createTestLibrary, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import { serveFile } from '../support/serve-file';
import { startTarget, type Target } from '../support/targets';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

/** Looks like a signature, and appears nowhere unless a URL carried it. */
const SECRET = `sig${randomUUID().replace(/-/g, '')}`;

describe('secrets in URLs', () => {
  let target: Target;
  let worker: WorkerProcess;
  let connection: Connection;
  let client: Client;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let http: Server;
  let base: string;
  let good: ExpectedFile;
  const taskQueue = `url-secrets-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    target = await startTarget('simulator');
    dir = await mkdtemp(join(tmpdir(), 'clo-url-secrets-'));
    good = await writeRandomFile(join(dir, 'good.iso'), 64 * 1024, 'url-secrets');
    http = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      // A download link that redirects to a presigned object-store URL, which then refuses.
      if (path === '/files/moved.iso') {
        const signed = `/signed/moved.iso?X-Amz-Credential=AKIAEXAMPLE%2F20250101&X-Amz-Signature=${SECRET}`;
        return void res.writeHead(302, { location: signed }).end();
      }
      if (path.startsWith('/signed/')) return void res.writeHead(403).end();
      if (path === '/catalog/index.json') {
        const entry = { size: good.size, sha256: good.sha256 };
        const index = [
          { name: 'good', url: '../files/good.iso', ...entry },
          { name: 'tokened', url: `../files/good.iso?token=${SECRET}`, ...entry },
        ];
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(index));
      }
      serveFile(res, join(dir, path.replace(/^\/files\//, '')));
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const config = testConfig({ target: { url: target.url, username: 'user', password: 'pass' } });
    config.temporal.taskQueue = taskQueue;
    worker = await startWorkerProcess(config, dir, 'url-secrets', [], { CLO_LOG_LEVEL: 'debug' });
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    client = new Client({ connection, namespace: stackInfo().namespace });
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore, 'secrets');
  });
  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await new Promise((ok) => http?.close(ok));
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const created = () => ({
    items: target.sim!.stats.calls('item.create'),
    updateSessions: target.sim!.stats.calls('updatesession.create'),
  });
  const uploadInput = (url: string, extra: object = {}): UploadInput => ({
    vcenter: 'target',
    library: { id: library.id },
    item: { name: `item-${randomUUID().slice(0, 6)}` },
    source: { kind: 'url', url, ...extra },
  });
  /** Everything the server keeps of a run, payloads decoded: no secret may be in it. */
  const historyText = async (handle: WorkflowHandle): Promise<string> =>
    JSON.stringify(await handle.fetchHistory(), (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
    );
  const notFound = async (workflowId: string) =>
    expect(
      await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch((e: Error) => e),
    ).toBeInstanceOf(WorkflowNotFoundError);

  it('refuses a credential URL in the client, naming the field and the fix, before any workflow exists', async () => {
    const before = created();
    for (const url of [
      `https://images.example.com/x.iso?X-Amz-Signature=${SECRET}`,
      `https://svc:${SECRET}@images.example.com/x.iso`,
      `https://images.example.com/x.iso#access_token=${SECRET}`,
    ]) {
      const input = uploadInput(url);
      const err = (await startUpload(client, input, { taskQueue }).catch((e: Error) => e)) as Error;
      expect(err.name).toBe('InvalidInputError');
      expect(err.message).toMatch(/^invalid upload input: source\.url carries credentials \(/);
      expect(err.message).toContain('upload it as a file source');
      expect(err.message).not.toContain(SECRET);
      await notFound(uploadWorkflowId(input));
    }
    const sync: SyncInput = {
      vcenter: 'target',
      library: { id: library.id },
      source: { kind: 'index', url: `https://mirror.example.com/index.json?sig=${SECRET}` },
    };
    const err = (await startSync(client, sync, { taskQueue }).catch((e: Error) => e)) as Error;
    expect(err.message).toContain(
      'invalid sync input: source.url carries credentials (the parameter "sig"): https://mirror.example.com/index.json?sig=[REDACTED]',
    );
    await notFound(syncWorkflowId(sync));
    // A plain-http source is refused the same way unless allowed.
    const plain = uploadInput(`${base}/files/good.iso`);
    await expect(startUpload(client, plain, { taskQueue })).rejects.toThrow(
      /source\.url is plain http .*source\.allowPlainHttp: true \(clo upload --allow-plain-http\)/,
    );
    await notFound(uploadWorkflowId(plain));
    expect(created()).toEqual(before);
  });

  it('fails a workflow started around the client (as `temporal workflow start` would) with InvalidInput, creating nothing', async () => {
    const before = created();
    const start = async (type: string, input: object) => {
      const handle = await client.workflow.start(type, {
        taskQueue,
        workflowId: `raw-${randomUUID()}`,
        args: [input],
      });
      return { handle, failure: failureOf(await handle.result().catch((e: unknown) => e)) };
    };
    const secret = await start(
      'uploadLibraryItem',
      uploadInput(`https://h.example.com/x.iso?token=${SECRET}`),
    );
    expect(secret.failure.type).toBe('InvalidInput');
    expect(secret.failure.message).toMatch(
      /^invalid uploadLibraryItem input: source\.url carries credentials \(the parameter "token"\): https:\/\/h\.example\.com\/x\.iso\?token=\[REDACTED\]\. /,
    );
    expect(secret.failure.message).not.toContain(SECRET);

    const plain = await start('uploadLibraryItem', uploadInput(`${base}/files/good.iso`));
    expect(plain.failure).toMatchObject({ type: 'InvalidInput' });
    expect(plain.failure.message).toContain('source.url is plain http');

    const index = await start('syncLibrary', {
      vcenter: 'target',
      library: { id: library.id },
      source: { kind: 'index', url: `${base}/catalog/index.json` },
    });
    expect(index.failure).toMatchObject({ type: 'InvalidInput' });
    expect(index.failure.message).toContain('clo sync --allow-plain-http');
    expect(created()).toEqual(before);
  });

  it('redacts a presigned URL the server echoes when a PULL fails, in PullFailed, history and the worker log', async () => {
    const handle = await startUpload(
      client,
      uploadInput(`${base}/files/moved.iso`, { allowPlainHttp: true }),
      { taskQueue },
    );
    const failure = failureOf(await handle.result().catch((e: unknown) => e));
    expect(failure.type).toBe('PullFailed');
    // The echo path was taken: the server named the URL it was redirected to.
    expect(failure.message).toContain(
      '/signed/moved.iso?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED] answered HTTP 403',
    );
    expect(failure.message).not.toContain(SECRET);
    expect(await historyText(handle)).not.toContain(SECRET);
    await waitFor('the worker to log the failed pull', () =>
      worker.output().includes('X-Amz-Signature=[REDACTED] answered HTTP 403'),
    );
    expect(worker.output()).not.toContain(SECRET);
    expect(worker.output()).not.toContain('AKIAEXAMPLE');
  });

  it('fails an index entry carrying a token on its own, and stamps synced items without secrets', async () => {
    const target2 = await createTestLibrary(rest, target.datastore, 'synced');
    const indexUrl = `${base}/catalog/index.json?v=2`;
    const handle = await startSync(
      client,
      {
        vcenter: 'target',
        library: { id: target2.id },
        source: { kind: 'index', url: indexUrl, allowPlainHttp: true },
      },
      { taskQueue },
    );
    const result = await handle.result();
    expect(result.added).toEqual(['good']);
    expect(result.failed).toEqual([
      {
        name: 'tokened',
        type: 'SourceError',
        reason: expect.stringContaining(
          `the url of index entry "tokened" carries credentials (the parameter "token"): ${base}/files/good.iso?token=[REDACTED]`,
        ) as string,
      },
    ]);
    const names: string[] = [];
    for (const id of await rest.listLibraryItems(target2.id)) {
      const item = await rest.getLibraryItem(id);
      names.push(item.name);
      // A URL without credentials is recorded as given, so an existing sync's stamps still match.
      expect(item.description).toContain(`"src":"index:${indexUrl}"`);
      expect(item.description).not.toContain(SECRET);
    }
    expect(names).toEqual(['good']);
    expect(await historyText(handle)).not.toContain(SECRET);
    expect(worker.output()).not.toContain(SECRET);
  });
});
