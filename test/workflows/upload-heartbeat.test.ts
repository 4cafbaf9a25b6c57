/**
 * Uploads heartbeat on a timer, whatever the bytes do. With a 3 s heartbeat timeout, the
 * simulator holds its answer to a PUT for 7 s (its `latency` fault delays the handler, which
 * has not read the body yet): a small file's bytes all sit in the socket buffers, so the
 * worker waits after its last byte, as for a server that checks the file before answering;
 * a large file's PUT stops mid-body on TCP back-pressure. A PULL whose source answers after
 * 8 s leaves the activity polling the session with growing sleeps. Each transfer must finish
 * in its first attempt: a heartbeat that came only with moving bytes (or between polls) let
 * the attempt time out and a second one start while the first still ran.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload, type UploadInput } from '../../client/upload';
import type { UploadResult } from '../../workflows/definitions/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { heartbeatBytes, waitFor } from '../support/polling';
import { serveFile } from '../support/serve-file';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const HEARTBEAT_TIMEOUT_MS = 3000;
/** Well past the heartbeat timeout, and past two of them. */
const SERVER_SILENCE_MS = 7000;

/** The attempt each run of `activityType` in the history finished in (the started event records it). */
async function attempts(handle: WorkflowHandle, activityType: string): Promise<number[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => String(e.eventId)),
  );
  return events
    .filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
}

describe('uploadLibraryItem heartbeats while the server is silent (simulator)', () => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let http: Server;
  let httpUrl: string;

  beforeAll(async () => {
    target = await startTarget('simulator');
    const config = testConfig({ target: { url: target.url, username: 'user', password: 'pass' } });
    config.timeouts.heartbeatTimeoutMs = HEARTBEAT_TIMEOUT_MS;
    worker = await startTestWorker(config);
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-heartbeat-'));
    // A PULL source that thinks before answering.
    http = createServer((req, res) => {
      setTimeout(() => serveFile(res, join(dir, basename(decodeURIComponent(req.url ?? '')))), 8000);
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await worker?.stop();
    http?.closeAllConnections();
    await new Promise((ok) => http?.close(ok));
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => target.sim!.faults.clear());

  const start = async (input: Omit<UploadInput, 'vcenter' | 'library'>): Promise<WorkflowHandle> =>
    startUpload(
      worker.client,
      { vcenter: 'target', library: { name: library.name }, ...input },
      // The config carries the short heartbeat timeout into the saga's options.
      { taskQueue: worker.taskQueue, config: worker.config },
    );

  it.each([
    ['its answer after the last byte', 256 * 1024],
    ['reading the body (TCP back-pressure mid-body)', 64 * 1024 * 1024],
  ])('finishes a push in its first attempt while the server delays %s', async (_what, size) => {
    const file = await writeRandomFile(join(dir, `silent-${size}.iso`), size, `silent-${size}`);
    target.sim!.faults.addLatency({ operation: 'transfer.put', ms: SERVER_SILENCE_MS, count: 1 });
    const puts = target.sim!.stats.calls('transfer.put');
    const started = Date.now();
    const handle = await start({
      item: { name: `silent-${randomUUID().slice(0, 6)}` },
      source: { kind: 'file', path: file.path },
    });
    if (size <= 256 * 1024) {
      // The whole body is with the server's socket before it answers: the wait is after the last byte.
      await waitFor('every byte handed to the socket', async () => {
        return (await heartbeatBytes(worker.client, handle, file.name)) === size;
      });
    }
    const result = (await handle.result()) as UploadResult;
    expect(await attempts(handle, 'pushFile')).toEqual([1]);
    // The server did keep silent that long, in that one attempt.
    expect(Date.now() - started).toBeGreaterThan(SERVER_SILENCE_MS);
    expect(target.sim!.stats.calls('transfer.put') - puts).toBe(1);
    expect(result.files[0]).toMatchObject({ bytesSent: size, resent: false });
    expect(await readItemBack(rest, result.itemId)).toEqual({
      [file.name]: { size: file.size, sha1: file.sha1 },
    });
  });

  it('finishes a PULL in its first attempt while the source takes 8 s to answer', async () => {
    const file = await writeRandomFile(join(dir, 'slow-pull.iso'), 64 * 1024, 'slow-pull');
    const handle = await start({
      item: { name: `slow-pull-${randomUUID().slice(0, 6)}` },
      source: { kind: 'url', url: `${httpUrl}/slow-pull.iso`, allowPlainHttp: true },
    });
    const result = (await handle.result()) as UploadResult;
    expect(await attempts(handle, 'pullFile')).toEqual([1]);
    expect(await readItemBack(rest, result.itemId)).toEqual({
      [file.name]: { size: file.size, sha1: file.sha1 },
    });
  });
});
