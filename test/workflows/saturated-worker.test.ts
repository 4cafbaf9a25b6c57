/**
 * A busy worker: every transfer slot is held by a slow upload for longer than the
 * simulator's session idle timeout, while one more saga's session waits for a slot. Its
 * keep-alive must not wait behind the transfers (it runs on the lease queue, with slots of
 * its own), so no saga loses its session. When keep-alives shared the transfers' queue, the
 * waiting saga's session expired and had to be started again.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeRandomFile } from '../fixtures/content';
import { readItemBack } from '../support/library';
import { waitFor } from '../support/polling';
import { useUploadFixture } from '../support/upload-fixture';

/** createWorker's activity slots on the shared queue. */
const TRANSFER_SLOTS = 8;
const IDLE_TIMEOUT_MS = 4000;

describe('a worker whose transfer slots are all busy (simulator)', () => {
  // Each transfer connection at 256 KiB/s: 3 MiB takes ~12 s, three idle timeouts.
  const f = useUploadFixture({
    rate: 256 * 1024,
    configure: (config) => {
      config.timeouts.keepAliveIntervalMs = 1000;
    },
  });

  it('keeps every session alive while sagas wait for a transfer slot', async () => {
    f.target.sim!.setSessionIdleTimeout(IDLE_TIMEOUT_MS);
    const uploads = [];
    for (let i = 0; i <= TRANSFER_SLOTS; i++) {
      const file = await writeRandomFile(join(f.dir, `busy-${i}.iso`), 3 * 1024 * 1024, `busy-${i}`);
      const handle = await f.start({
        item: { name: `busy-${i}-${randomUUID().slice(0, 6)}` },
        source: { kind: 'file', path: file.path },
      });
      uploads.push({ file, handle, name: `busy-${i}.iso` });
    }
    // All slots taken and at least one session with no transfer of its own, waiting.
    await waitFor('every transfer slot to be busy while a session waits', () => {
      const live = f.target.sim!.stats.sessions().filter((s) => s.kind === 'update' && s.state === 'ACTIVE');
      const receiving = live.filter((s) => f.target.sim!.stats.bytesReceived(s.id) > 0);
      return receiving.length === TRANSFER_SLOTS && live.length > TRANSFER_SLOTS;
    });
    for (const { file, handle, name } of uploads) {
      const result = await handle.result();
      expect(result.sessionRestarts).toBe(0);
      expect(result.sessionIds).toHaveLength(1);
      expect(await readItemBack(f.rest, result.itemId)).toEqual({
        [name]: { size: file.size, sha1: file.sha1 },
      });
    }
    // A completed session is removed once idle, as the docs say; none expired before it was DONE.
    const lost = f.target
      .sim!.stats.sessions()
      .filter((s) => s.kind === 'update' && s.ended === 'expired' && s.state !== 'DONE');
    expect(lost).toEqual([]);
  }, 120_000);
});
