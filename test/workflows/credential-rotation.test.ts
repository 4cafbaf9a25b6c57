/**
 * Credentials on a running worker, against the simulator (which checks the password and counts
 * live login sessions): a password rotated mid-saga is picked up from CLO_VCENTER_<NAME>_PASSWORD_FILE
 * without a restart, and a worker that stops logs out of its vCenters.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import type { UploadResult } from '../../workflows/definitions/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe('vCenter credentials on a running worker (simulator)', () => {
  let target: Target;
  let proxy: ThrottleProxy;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let passwordFile: string;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    target = await startTarget('simulator', { password: 'old-secret' });
    proxy = await startThrottleProxy(target.url, 1024 * 1024 * 1024);
    dir = await mkdtemp(join(tmpdir(), 'clo-rotation-'));
    passwordFile = join(dir, 'vcenter-password');
    rest = restClient(target.url, { password: 'old-secret' });
    library = await createTestLibrary(rest, target.datastore);
    await rest.logout();
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const startWorker = async (): Promise<TestWorker> =>
    startTestWorker(
      testConfig({
        target: { url: target.url, username: 'user', passwordFile, transferUrl: proxy.url },
      }),
    );

  it('a saga in flight completes after the password is rotated and every login invalidated, without a restart', async () => {
    target.sim!.setCredentials('user', 'old-secret');
    await writeFile(passwordFile, 'old-secret\n');
    worker = await startWorker();
    const file = await writeRandomFile(join(dir, 'rotate.iso'), 6 * 1024 * 1024, 'rotate');
    proxy.setRate(1024 * 1024);
    const name = `rotate-${randomUUID().slice(0, 6)}`;
    const handle = await worker.client.workflow.start('uploadLibraryItem', {
      taskQueue: worker.taskQueue,
      workflowId: `rotate-${randomUUID()}`,
      args: [
        {
          vcenter: 'target',
          library: { id: library.id },
          item: { name },
          source: { kind: 'file', path: file.path },
          options: { keepAliveIntervalMs: 1000 },
        },
      ],
    });
    const sim = target.sim!;
    await waitFor('a quarter of the file to reach the simulator', async () => {
      const { status } = await handle.describe();
      // A saga that ended already would only make this wait time out: show its outcome instead.
      if (status.name !== 'RUNNING') await handle.result();
      return sim.stats
        .sessions()
        .some((s) => s.kind === 'update' && !s.ended && sim.stats.bytesReceived(s.id) > file.size / 4);
    });
    // An operator rotates the password: vCenter first, then the file the worker reads, and the
    // worker's session ends (as when vCenter restarts or an admin terminates sessions).
    const logins = sim.stats.calls('session.create');
    sim.setCredentials('user', 'new-secret');
    await writeFile(passwordFile, 'new-secret\n');
    sim.invalidateLogins();
    const result = (await handle.result()) as UploadResult;
    proxy.setRate(1024 * 1024 * 1024);

    expect(result.sessionRestarts).toBe(0);
    // The worker logged in again during the transfer: once refused with the old password, once with the new.
    expect(sim.stats.calls('session.create') - logins).toBeGreaterThanOrEqual(2);
    // The test's own client logs in with the password of the moment, not through the code under test.
    const reader = restClient(target.url, { password: 'new-secret' });
    const files = await readItemBack(reader, result.itemId);
    await reader.logout();
    await reader.close();
    expect(files).toEqual({
      'rotate.iso': { size: file.size, sha1: file.sha1 },
    });
  });

  it('a worker that stops logs out: the live login sessions go back down', async () => {
    const sim = target.sim!;
    await writeFile(passwordFile, 'new-secret\n');
    sim.setCredentials('user', 'new-secret');
    const before = sim.stats.logins();
    worker = await startWorker();
    const result = (await worker.client.workflow.execute('uploadLibraryItem', {
      taskQueue: worker.taskQueue,
      workflowId: `logout-${randomUUID()}`,
      args: [
        {
          vcenter: 'target',
          library: { id: library.id },
          item: { name: `logout-${randomUUID().slice(0, 6)}` },
          source: {
            kind: 'file',
            path: (await writeRandomFile(join(dir, 'small.bin'), 64 * 1024, 'small')).path,
          },
        },
      ],
    })) as UploadResult;
    expect(result.sessionRestarts).toBe(0);
    expect(sim.stats.logins()).toBe(before + 1);
    await worker.stop();
    worker = undefined;
    expect(sim.stats.logins()).toBe(before);
  });
});
