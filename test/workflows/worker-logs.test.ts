/**
 * A real worker's structured logs at debug level: REST calls carry the workflow and
 * activity ids, and neither the vCenter password nor any session token the worker
 * really used (captured on the wire) ever appears.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startUpload } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

const PASSWORD = 'correct-horse-battery-staple';

describe('worker logs', () => {
  let target: Target;
  let proxy: ThrottleProxy;
  let worker: WorkerProcess;
  let dir: string;
  let connection: Connection;
  const tokens = new Set<string>();

  beforeAll(async () => {
    target = await startTarget('simulator', { username: 'svc-clo', password: PASSWORD });
    // Everything the worker sends to the vCenter passes here, so we learn the tokens it really used.
    let wire = '';
    proxy = await startThrottleProxy(target.url, 1024 * 1024 * 1024, (chunk) => {
      wire = (wire + chunk.toString('latin1')).slice(-4096);
      for (const m of wire.matchAll(/vmware-api-session-id: ([^\r\n]+)/gi)) tokens.add(m[1]!);
    });
    dir = await mkdtemp(join(tmpdir(), 'clo-logs-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
  });
  afterAll(async () => {
    await worker?.kill();
    await connection?.close();
    await proxy?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('are JSON lines with workflow and activity ids, and never contain the password or a session token', async () => {
    const config = testConfig({ target: { url: proxy.url, username: 'svc-clo', password: PASSWORD } });
    worker = await startWorkerProcess(config, dir, 'logs', [], { CLO_LOG_LEVEL: 'debug' });
    const rest = restClient(target.url, { username: 'svc-clo', password: PASSWORD });
    const library = await createTestLibrary(rest, target.datastore);
    await rest.close();
    const file = await writeRandomFile(join(dir, 'logged.iso'), 128 * 1024, 'logs');
    const client = new Client({ connection, namespace: stackInfo().namespace });
    const handle = await startUpload(
      client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { name: `l-${randomUUID().slice(0, 6)}` },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: config.temporal.taskQueue, config },
    );
    await handle.result();
    const output = worker.output();

    expect(tokens.size).toBeGreaterThan(0);
    for (const token of tokens) expect(output).not.toContain(token);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toMatch(/authorization|Basic [A-Za-z0-9+/=]{8,}/i);

    const lines = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Nothing at warn or above in a run where nothing went wrong (pino: 40 warn, 50 error, 60 fatal),
    // such as the SDK's warning that the activity-only host-queue worker has no workflows.
    expect(lines.filter((l) => Number(l.level) >= 40).map((l) => l.msg)).toEqual([]);
    const calls = lines.filter((l) => l.msg === 'content-library call' && l.workflowId === handle.workflowId);
    expect(calls.map((l) => l.activityType)).toEqual(
      expect.arrayContaining(['createUpdateSession', 'pushFile', 'validateAndCompleteUpdateSession']),
    );
    expect(calls.every((l) => typeof l.activityId === 'string' && typeof l.operation === 'string')).toBe(
      true,
    );
  });
});
