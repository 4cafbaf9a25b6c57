/**
 * A vCenter that is unreachable for longer than the sagas' old retry window (10 attempts):
 * the simulator stops listening and drops its connections mid-transfer. Three sagas share
 * the outage: one rides it out and completes (its session expires meanwhile, so it also
 * restarts the session when vCenter returns), one is cancelled during the outage and cleans
 * up once vCenter is back, and one has a short outage budget, so its lease gives up during
 * the outage and its compensation too waits for vCenter's return. With the old policy the
 * first failed after its tenth attempt and both cleanups gave up, leaving their items behind.
 *
 * Time is scaled down with the operator's outage retry interval (CLO_OUTAGE_RETRY_INTERVAL,
 * 30 s by default, which made this outage 170 s long): at 2 s, ten attempts take 17 s of
 * backoff, and the outage, the session expiry and the budget are scaled with it.
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

/** How often the sagas retry (and the lease probes) while vCenter is away. */
const RETRY_INTERVAL_MS = 2000;
/** Longer than the old policy's 10 attempts (1 + 8 × 2 s = 17 s of backoff) by a clear margin. */
const OUTAGE_MS = 32_000;
/** The simulator expires sessions idle this long: well within the outage, as a long reboot would. */
const SESSION_IDLE_MS = 10_000;
/** The budget saga's: it runs out during the outage (the lease notices within a keep-alive interval). */
const BUDGET_MS = 10_000;

describe('sagas through a vCenter outage longer than the old retry window (simulator)', () => {
  const f = useUploadFixture({
    rate: 1024 * 1024,
    configure: (config) => {
      config.timeouts.outageRetryIntervalMs = RETRY_INTERVAL_MS;
    },
  });
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
          outageBudgetMs: BUDGET_MS,
          fileConcurrency: 1,
          replace: false,
          takeOver: false,
          maxSessionRestarts: 2,
        },
      });
      for (const name of Object.values(names)) await waitFor(`bytes of ${name} to flow`, receiving(name));

      // Sessions idle for a while expire: the outage outlasts them, as a long vCenter reboot would.
      f.target.sim!.setSessionIdleTimeout(SESSION_IDLE_MS);
      await f.target.sim!.startOutage();
      const outageStarted = Date.now();
      await cancelled.cancel();

      // While vCenter is away, the Web UI says so, and nothing has given up yet (but the short budget).
      await waitFor(
        'the saga to show it waits for vCenter',
        async () => (await phaseOf(rides)) === 'waiting-for-vcenter',
      );
      expect((await rides.query(progressQuery)).waitingFor).toBe('vCenter target');
      // The short budget runs out during the outage: its lease gives up and it compensates,
      // which waits for vCenter too.
      await waitFor(
        'the saga with a short budget to give up and compensate',
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
    OUTAGE_MS + 90_000,
  );
});
