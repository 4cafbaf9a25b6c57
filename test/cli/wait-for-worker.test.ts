/**
 * `clo upload --wait` started with no worker polling its task queue (client/worker-watch.ts):
 * the command says so on stderr (naming the queue, the workflow and what to start) instead of
 * waiting in silence, keeps waiting, and finishes with the saga's result once a worker starts.
 * A command whose saga a worker takes at once says nothing (clo-upload.test.ts asserts its
 * stderr is empty).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { uploadWorkflowId } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { cloEnv } from '../support/clo';
import { waitFor } from '../support/polling';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

const CLO = resolve(__dirname, '../../bin/clo');

describe('clo upload --wait with no worker on its task queue', () => {
  let dir: string;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-wait-worker-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says no worker polls the queue, keeps waiting, and prints the result once a worker starts', async () => {
    const config = testConfig();
    const env = await cloEnv(config, dir);
    const rest = restClient(stackInfo().vcsim.url);
    const library = await createTestLibrary(rest, stackInfo().vcsim.datastore);
    await rest.close();
    const file = await writeRandomFile(join(dir, 'waits.iso'), 64 * 1024, 'waits');
    const item = `waits-${randomUUID().slice(0, 6)}`;

    const child = spawn(
      process.execPath,
      [
        CLO,
        'upload',
        file.path,
        '--library',
        library.name,
        '--item',
        item,
        '--vcenter',
        'vcsim',
        '--wait',
        '--json',
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await waitFor('the no-worker warning', () => /no worker polls.*saga\n/.test(stderr), 30_000);
      const queue = config.temporal.taskQueue;
      const id = uploadWorkflowId({
        vcenter: 'vcsim',
        library: { name: library.name },
        item: { name: item },
      });
      const quoted = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(stderr).toMatch(
        new RegExp(
          `^clo: no worker polls task queue "${queue}" \\(namespace ${config.temporal.namespace}\\): ` +
            `${quoted} has waited \\d+ s for one to take its workflow task\\. It runs when one starts there ` +
            '\\(`clo worker` with this config\\); Ctrl-C stops only this command, not the saga\\n$',
        ),
      );
      expect(child.exitCode).toBeNull();

      worker = await startTestWorker(config);
      expect(await exited).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({
        itemCreated: true,
        files: [expect.objectContaining({ name: 'waits.iso', size: file.size })],
      });
      // Said once, not at every check while it waited.
      expect(stderr.match(/no worker polls/g)).toHaveLength(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
