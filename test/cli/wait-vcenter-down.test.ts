/**
 * `clo upload --wait` against a vCenter whose address refuses connections
 * (client/vcenter-watch.ts): the saga retries its first call through the outage budget, out of
 * the server's sight (a local activity), so without the watch the command printed nothing for
 * up to two hours. It must say which vCenter, how long, the last error the worker recorded, and
 * how to stop it, once, and keep waiting.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../client/dev-stack/free-port';
import { uploadWorkflowId } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { cloEnv } from '../support/clo';
import { waitFor } from '../support/polling';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const CLO = resolve(__dirname, '../../bin/clo');

describe('clo upload --wait while the vCenter refuses connections', () => {
  let dir: string;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-wait-vcenter-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says which vCenter it retries, for how long, its last error, and how to stop it', async () => {
    // A port nothing listens on: every call to this vCenter is refused.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = testConfig({ dead: { url, username: 'user', password: 'pass' } });
    worker = await startTestWorker(config);
    const env = await cloEnv(config, dir);
    const file = await writeRandomFile(join(dir, 'down.iso'), 4096, 'down');
    const item = `down-${randomUUID().slice(0, 6)}`;
    const id = uploadWorkflowId({ vcenter: 'dead', library: { name: 'lib' }, item: { name: item } });

    const child = spawn(
      process.execPath,
      [CLO, 'upload', file.path, '--library', 'lib', '--item', item, '--vcenter', 'dead', '--wait', '--json'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // The worker records each failed attempt's error in a marker before its backoff timer.
      await waitFor('the vCenter warning', () => /retrying a call.*stops it now\n/.test(stderr), 60_000);
      const quoted = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(stderr).toMatch(
        new RegExp(
          `^clo: ${quoted} has been retrying a call to vCenter "dead" for \\d+ s \\(phase planning\\); ` +
            `last error: login failed: transport: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)\\. ` +
            `It retries until the outage budget \\(timeouts\\.outageBudgetMs\\) runs out; ` +
            `\`clo cancel ${quoted}\` stops it now\\n$`,
        ),
      );
      expect(child.exitCode).toBeNull();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await worker.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    }
  });
});
