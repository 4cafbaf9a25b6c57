/**
 * A vCenter that is unreachable for longer than the sagas' old retry window (10 attempts,
 * ~151 s): the simulator stops listening and drops its connections for 170 s, mid-transfer.
 * Three sagas share the outage: one rides it out and completes (its session expires
 * meanwhile, so it also restarts the session when vCenter returns), one is cancelled during
 * the outage and cleans up once vCenter is back, and one has a one-minute outage budget, so
 * its lease gives up during the outage and its compensation too waits for vCenter's return.
 * With the old policy the first failed after ~151 s and both cleanups gave up, leaving their
 * items behind.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../../workflows/definitions/transfer';
import { PHASE } from '../../workflows/definitions/search-attributes';
import { writeRandomFile } from '../fixtures/content';
import { failureOf } from '../support/failures';
import { readItemBack } from '../support/library';
import { waitFor } from '../support/polling';
import { useUploadFixture } from '../support/upload-fixture';

/** Longer than the old policy's 10 attempts (1 + 2 + 4 + 8 + 16 + 30 × 4 s ≈ 151 s of backoff). */
const OUTAGE_MS = 170_000;

describe('sagas through a vCenter outage longer than the old retry window (simulator)', () => {
  const f = useUploadFixture({ rate: 1024 * 1024 });
  const receiving = (name: string) => async () => {
    const [itemId] = await f.itemNamed(name);
    const live = f.target
      .sim!.stats.sessions()
      .find((s) => s.library_item_id === itemId && s.kind === 'update' && s.state === 'ACTIVE');
    return live !== undefined && f.target.sim!.stats.bytesReceived(live.id) > 0;
  };
  const phaseOf = async (handle: WorkflowHandle) =>
    (await handle.describe()).typedSearchAttributes.get(PHASE);

  it(
    'completes a transfer, and cleans up a cancelled and a failed saga, once vCenter returns',
    async () => {
      const names = {
        rides: `rides-${randomUUID().slice(0, 6)}`,
        cancelled: `cancelled-${randomUUID().slice(0, 6)}`,
        budget: `budget-${randomUUID().slice(0, 6)}`,
      };
      const files = {
        rides: await writeRandomFile(join(f.dir, 'rides.iso'), 24 * 1024 * 1024, 'rides'),
        cancelled: await writeRandomFile(join(f.dir, 'cancelled.iso'), 24 * 1024 * 1024, 'cancelled'),
        budget: await writeRandomFile(join(f.dir, 'budget.iso'), 24 * 1024 * 1024, 'budget'),
      };
      const rides = await f.start({
        item: { name: names.rides },
        source: { kind: 'file', path: files.rides.path },
      });
      const cancelled = await f.start({
        item: { name: names.cancelled },
        source: { kind: 'file', path: files.cancelled.path },
      });
      const budget = await f.start({
        item: { name: names.budget },
        source: { kind: 'file', path: files.budget.path },
        options: {
          outageBudgetMs: 60_000,
          fileConcurrency: 1,
          replace: false,
          takeOver: false,
          maxSessionRestarts: 2,
        },
      });
      for (const name of Object.values(names)) await waitFor(`bytes of ${name} to flow`, receiving(name));

      // Sessions idle for a minute expire: the outage outlasts them, as a long vCenter reboot would.
      f.target.sim!.setSessionIdleTimeout(60_000);
      await f.target.sim!.startOutage();
      const outageStarted = Date.now();
      await cancelled.cancel();

      // While vCenter is away, the Web UI says so, and nothing has given up yet (but the one-minute budget).
      await waitFor(
        'the saga to show it waits for vCenter',
        async () => (await phaseOf(rides)) === 'waiting-for-vcenter',
      );
      expect((await rides.query(progressQuery)).waitingFor).toBe('vCenter target');
      // The one-minute budget runs out during the outage: its lease gives up and it compensates,
      // which waits for vCenter too.
      await waitFor(
        'the saga with a one-minute budget to give up and compensate',
        async () => (await budget.query(progressQuery)).phase === 'compensating',
        OUTAGE_MS,
      );
      expect(Date.now() - outageStarted).toBeLessThan(OUTAGE_MS);

      await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - outageStarted)));
      for (const handle of [rides, cancelled]) {
        expect((await handle.describe()).status.name).toBe('RUNNING');
      }
      await f.target.sim!.endOutage();
      f.proxy.setRate(1024 * 1024 * 1024);

      const result = await rides.result();
      expect(result.sessionRestarts).toBeGreaterThanOrEqual(1);
      expect(await readItemBack(f.rest, result.itemId)).toEqual({
        'rides.iso': { size: files.rides.size, sha1: files.rides.sha1 },
      });
      expect(await phaseOf(rides)).toBe('done');

      const budgetFailure = failureOf(await budget.result().catch((e: unknown) => e));
      expect(budgetFailure.type).toBe('VCenterUnreachable');
      expect(budgetFailure.message).toContain('outage budget');
      const cancelErr = await cancelled.result().catch((e: unknown) => e);
      expect(((cancelErr as WorkflowFailedError).cause as Error).name).toBe('CancelledFailure');
      // Both compensations ran to the end after vCenter returned: the items they created are gone.
      await waitFor(
        'the cleanups to finish',
        async () =>
          (await f.itemNamed(names.cancelled)).length === 0 && (await f.itemNamed(names.budget)).length === 0,
        30_000,
      );
      expect(
        f.target.sim!.stats.sessions().filter((s) => s.kind === 'update' && s.state === 'ACTIVE' && !s.ended),
      ).toEqual([]);
    },
    OUTAGE_MS + 180_000,
  );
});
