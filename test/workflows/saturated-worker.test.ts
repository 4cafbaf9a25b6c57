/**
 * A busy worker: every transfer slot is held by a slow upload for longer than the
 * simulator's session idle timeout, while one more saga's session waits for a slot. Its
 * keep-alive must not wait behind the transfers (it runs on the lease queue, with slots of
 * its own), so no saga loses its session. When keep-alives shared the transfers' queue, the
 * waiting saga's session expired and had to be started again.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

/** createWorker's activity slots on the shared queue. */
const TRANSFER_SLOTS = 8;
const IDLE_TIMEOUT_MS = 4000;

describe('a worker whose transfer slots are all busy (simulator)', () => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let proxy: ThrottleProxy;

  beforeAll(async () => {
    target = await startTarget('simulator');
    // Each transfer connection at 256 KiB/s: 3 MiB takes ~12 s, three idle timeouts.
    proxy = await startThrottleProxy(target.url, 256 * 1024);
    const config = testConfig({
      target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url },
    });
    config.timeouts.keepAliveIntervalMs = 1000;
    worker = await startTestWorker(config);
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-busy-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every session alive while sagas wait for a transfer slot', async () => {
    target.sim!.setSessionIdleTimeout(IDLE_TIMEOUT_MS);
    const uploads = [];
    for (let i = 0; i <= TRANSFER_SLOTS; i++) {
      const file = await writeRandomFile(join(dir, `busy-${i}.iso`), 3 * 1024 * 1024, `busy-${i}`);
      const handle = await startUpload(
        worker.client,
        {
          vcenter: 'target',
          library: { name: library.name },
          item: { name: `busy-${i}-${randomUUID().slice(0, 6)}` },
          source: { kind: 'file', path: file.path },
        },
        { taskQueue: worker.taskQueue, config: worker.config },
      );
      uploads.push({ file, handle, name: `busy-${i}.iso` });
    }
    // All slots taken and at least one session with no transfer of its own, waiting.
    await waitFor('every transfer slot to be busy while a session waits', () => {
      const live = target.sim!.stats.sessions().filter((s) => s.kind === 'update' && s.state === 'ACTIVE');
      const receiving = live.filter((s) => target.sim!.stats.bytesReceived(s.id) > 0);
      return receiving.length === TRANSFER_SLOTS && live.length > TRANSFER_SLOTS;
    });
    for (const { file, handle, name } of uploads) {
      const result = await handle.result();
      expect(result.sessionRestarts).toBe(0);
      expect(result.sessionIds).toHaveLength(1);
      expect(await readItemBack(rest, result.itemId)).toEqual({
        [name]: { size: file.size, sha1: file.sha1 },
      });
    }
    // A completed session is removed once idle, as the docs say; none expired before it was DONE.
    const lost = target
      .sim!.stats.sessions()
      .filter((s) => s.kind === 'update' && s.ended === 'expired' && s.state !== 'DONE');
    expect(lost).toEqual([]);
  }, 120_000);
});
