/**
 * `clo worker --metrics`: a real worker process serves the SDK's metrics and clo's own
 * on one Prometheus endpoint; the byte counter rises while a transfer runs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../client/dev-stack';
import { startUpload } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

/** Sum of a metric's samples in a Prometheus text exposition (all label sets). */
function sample(text: string, name: string, labels: RegExp = /.*/): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
    if (m && m[1] === name && labels.test(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

describe('clo worker --metrics', () => {
  let target: Target;
  let proxy: ThrottleProxy;
  let worker: WorkerProcess;
  let dir: string;
  let connection: Connection;

  beforeAll(async () => {
    target = await startTarget('simulator');
    proxy = await startThrottleProxy(target.url, 4 * 1024 * 1024);
    dir = await mkdtemp(join(tmpdir(), 'clo-metrics-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
  });
  afterAll(async () => {
    await worker?.kill();
    await connection?.close();
    await proxy?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves SDK and clo metrics, and clo_bytes_uploaded rises during a transfer', async () => {
    const port = await freePort();
    const config = testConfig({
      target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url },
    });
    worker = await startWorkerProcess(config, dir, 'metrics', ['--metrics', `127.0.0.1:${port}`]);
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

    const rest = restClient(target.url);
    const library = await createTestLibrary(rest, target.datastore);
    await rest.close();
    const file = await writeRandomFile(join(dir, 'metered.iso'), 16 * 1024 * 1024, 'metrics');
    const client = new Client({ connection, namespace: stackInfo().namespace });
    const handle = await startUpload(
      client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { name: `m-${randomUUID().slice(0, 6)}` },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: config.temporal.taskQueue, config },
    );

    const seen: number[] = [];
    while (seen.length < 2 || seen[seen.length - 1] === seen[0]) {
      seen.push(sample(await scrape(), 'clo_bytes_uploaded'));
      if (seen.length > 100) throw new Error(`byte counter never rose: ${seen.join(',')}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const during = seen[seen.length - 1]!;
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThan(file.size);

    await handle.result();
    const after = await scrape();
    expect(sample(after, 'clo_bytes_uploaded')).toBe(file.size);
    expect(sample(after, 'clo_sessions', /event="created"/)).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'clo_sessions', /event="completed"/)).toBeGreaterThanOrEqual(1);
    // The SDK's own metrics are on the same endpoint.
    expect(after).toMatch(/^temporal_\w+/m);
  });
});
