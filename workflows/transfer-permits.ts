/**
 * `transferPermits`: the semaphore that bounds how many update and download sessions the
 * whole fleet holds at once on one vCenter (`vcenters.<name>.maxConcurrentTransfers`).
 *
 * One run per vCenter and task queue (transferPermitsWorkflowId), started on demand by the
 * first saga's request (signal-with-start from the `requestTransferPermit` activity).
 * Requests queue first come first served; a permit is granted by signalling the saga, and
 * freed by the saga's release signal (sent in its finally path, after its compensations,
 * so its session has ended). A holder that dies without releasing (terminated, timed out,
 * reset) is found by a periodic check of the holders' status (describe, through a local
 * activity) and its permit freed; a grant that cannot be delivered (the saga is gone)
 * frees the permit at once. The run continues-as-new when its history grows and ends when
 * nobody holds or waits for a while. Why a workflow, and not task-queue slots or rate
 * limits: docs/design.md "Transfer permits".
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  releaseTransferPermitSignal,
  requestTransferPermitSignal,
  transferPermitGrantedSignal,
  transferPermitsQuery,
  TransferPermitsInput,
  type PermitHolder,
} from './definitions/transfer-permits';
import { rootMessage } from './lib/failures';
import { parseInput } from './lib/input';

/** How often holders are checked while a saga waits: the longest a leaked permit keeps it waiting. */
const CHECK_WHILE_WAITING_MS = 5_000;
/** How often holders are checked while nobody waits: only so that the run can end. */
const CHECK_WHILE_HELD_MS = 60_000;
/** How long an idle semaphore stays for the next request before it ends (the next one starts a new run). */
const IDLE_LINGER_MS = 10_000;
/**
 * Continue-as-new at this many events even before the server suggests it: a saga costs the
 * semaphore about ten events, and a short history keeps each new worker's replay cheap.
 */
const MAX_HISTORY_EVENTS = 2_000;

const { findClosedPermitHolders } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // A failed check is simply tried again at the next interval.
  retry: { maximumAttempts: 2 },
});

const same = (a: PermitHolder, b: PermitHolder): boolean =>
  a.workflowId === b.workflowId && a.runId === b.runId;

export async function transferPermits(rawInput: unknown): Promise<void> {
  const input = parseInput(TransferPermitsInput, rawInput, 'transferPermits');
  const { vcenter } = input;
  const maxHistoryEvents = input.maxHistoryEvents ?? MAX_HISTORY_EVENTS;
  let limit = input.limit;
  const holders: PermitHolder[] = [...input.holders];
  const waiting: PermitHolder[] = [...input.waiting];
  /** Grants whose signal has not been acknowledged yet: continue-as-new waits for them. */
  const granting = new Set<Promise<void>>();
  let changed = true;

  const remove = (list: PermitHolder[], who: PermitHolder): boolean => {
    const i = list.findIndex((h) => same(h, who));
    if (i >= 0) list.splice(i, 1);
    return i >= 0;
  };
  setHandler(requestTransferPermitSignal, (request) => {
    limit = request.limit;
    const who = { workflowId: request.workflowId, runId: request.runId };
    // A retried request activity, or a saga asking again after a long wait: one entry per run.
    if (!holders.some((h) => same(h, who)) && !waiting.some((h) => same(h, who))) waiting.push(who);
    changed = true;
  });
  setHandler(releaseTransferPermitSignal, (who) => {
    if (remove(holders, who) || remove(waiting, who)) changed = true;
  });
  setHandler(transferPermitsQuery, () => ({ vcenter, limit, holders, waiting }));

  const grant = (who: PermitHolder): void => {
    holders.push(who);
    const sent = getExternalWorkflowHandle(who.workflowId, who.runId)
      .signal(transferPermitGrantedSignal)
      .catch((err: unknown) => {
        // The saga ended (or never was) before it got the permit: it is free again.
        log.info('transfer permit not delivered; freeing it', { ...who, error: rootMessage(err) });
        if (remove(holders, who)) changed = true;
      })
      .finally(() => granting.delete(sent));
    granting.add(sent);
  };

  const show = (): void =>
    setCurrentDetails(
      `transfer permits for vCenter ${vcenter}: ${holders.length} of ${limit} held, ${waiting.length} waiting`,
    );

  let nextCheck = Date.now() + CHECK_WHILE_WAITING_MS;
  for (;;) {
    changed = false;
    // A lower limit takes effect as holders release: nobody loses a permit they hold.
    while (holders.length < limit && waiting.length > 0) grant(waiting.shift()!);
    show();

    if (holders.length === 0 && waiting.length === 0 && granting.size === 0) {
      await condition(() => changed, IDLE_LINGER_MS);
      // A request that came with the timer is served; one after this task completes makes the
      // server refuse the completion (new events), so none is lost.
      if (changed) continue;
      await condition(allHandlersFinished);
      return;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= maxHistoryEvents) {
      await Promise.all([...granting]);
      await condition(allHandlersFinished);
      // Grants that failed just now freed permits: grant them in the next run.
      return continueAsNew<typeof transferPermits>({
        vcenter,
        limit,
        holders,
        waiting,
        ...(input.maxHistoryEvents !== undefined ? { maxHistoryEvents } : {}),
      });
    }

    const interval = waiting.length > 0 ? CHECK_WHILE_WAITING_MS : CHECK_WHILE_HELD_MS;
    nextCheck = Math.min(nextCheck, Date.now() + interval);
    const woken = await condition(() => changed, Math.max(1, nextCheck - Date.now()));
    if (woken && Date.now() < nextCheck) continue;
    nextCheck = Date.now() + interval;
    if (holders.length === 0) continue;
    try {
      const closed = await findClosedPermitHolders([...holders]);
      for (const who of closed) {
        if (remove(holders, who)) log.warn('freed the transfer permit of a saga that ended without it', who);
      }
    } catch (err) {
      // The semaphore must outlive a failed check: the next interval tries again.
      log.warn('could not check the transfer permit holders', { error: rootMessage(err) });
    }
  }
}
