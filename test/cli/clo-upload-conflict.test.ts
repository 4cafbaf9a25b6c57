/**
 * Issue #15 through the real `clo` executable: two `clo upload --wait` of different files
 * into one item at once. The second must exit 4 (EXIT.CONFLICT) naming the first's
 * workflow, run and source, and never print the first's result as its own; the first
 * completes with its own checksum and the item holds its bytes. A throttling proxy on the
 * transfer URL keeps the first running until the second has answered.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { uploadWorkflowId } from '../../client/upload';
import { EXIT } from '../../client/exit-codes';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { clo, cloEnv } from '../support/clo';
import { heartbeatBytes, waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const MiB = 1024 * 1024;
const FAST = 1024 * MiB;
/** A 1 MiB file takes half a minute at this rate: the first upload is surely still running. */
const SLOW = 32 * 1024;

describe.each(['vcsim', 'simulator'] as const)(
  'clo upload of another file into a busy item on %s',
  (targetName) => {
    let target: Target;
    let proxy: ThrottleProxy;
    let worker: TestWorker;
    let rest: ContentLibraryClient;
    let library: { id: string; name: string };
    let dir: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      target = await startTarget(targetName);
      proxy = await startThrottleProxy(target.url, FAST);
      const config = testConfig({
        target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url },
      });
      worker = await startTestWorker(config);
      rest = restClient(target.url);
      library = await createTestLibrary(rest, target.datastore);
      dir = await mkdtemp(join(tmpdir(), 'clo-cli-conflict-'));
      env = await cloEnv(config, dir);
    });
    afterAll(async () => {
      await worker?.stop();
      await proxy?.close();
      await rest?.close();
      await target?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses the second with exit code 4 naming the running workflow and its source; the first completes with its own bytes', async () => {
      await mkdir(join(dir, 'a'));
      await mkdir(join(dir, 'b'));
      const a = await writeRandomFile(join(dir, 'a', 'disk.iso'), MiB, `${targetName}-a`);
      const b = await writeRandomFile(join(dir, 'b', 'disk.iso'), MiB, `${targetName}-b`);
      const item = `busy-${randomUUID().slice(0, 6)}`;
      const args = (path: string) => [
        'upload',
        path,
        '--library',
        library.name,
        '--item',
        item,
        '--vcenter',
        'target',
        '--wait',
        '--json',
      ];
      const id = uploadWorkflowId({
        vcenter: 'target',
        library: { name: library.name },
        item: { name: item },
      });

      proxy.setRate(SLOW);
      const first = clo(args(a.path), env);
      const handle = worker.client.workflow.getHandle(id);
      await waitFor(
        'the first upload to send bytes',
        async () => (await heartbeatBytes(worker.client, handle, 'disk.iso').catch(() => 0)) > 0,
      );
      const { runId } = await handle.describe();

      const second = await clo(args(b.path), env);
      proxy.setRate(FAST);
      // Never the first's result: with --json, stdout holds only the error object (docs/operations.md).
      expect(JSON.parse(second.stdout)).toEqual({
        error: expect.objectContaining({
          type: 'RequestConflictError',
          exitCode: EXIT.CONFLICT,
          workflowId: id,
          runId,
        }),
      });
      expect(second.code).toBe(EXIT.CONFLICT);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toContain(
        `clo: ${id} is already running (run ${runId}) for a different request: file ${a.path}.`,
      );
      expect(second.stderr).toContain(`This request (file ${b.path}) was not started`);
      expect(second.stderr).toContain(`clo cancel ${id}`);

      const done = await first;
      expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' });
      const result = JSON.parse(done.stdout) as {
        itemId: string;
        files: Array<{ name: string; size: number }>;
      };
      expect(result.files).toEqual([expect.objectContaining({ name: 'disk.iso', size: a.size })]);
      expect(await readItemBack(rest, result.itemId)).toEqual({ 'disk.iso': { size: a.size, sha1: a.sha1 } });
    });
  },
);
