/**
 * The activity proxies the transfer sagas share, each group with the timeouts and retry
 * policy of its role: control-plane calls and compensations as local activities that wait
 * out a vCenter outage up to the budget, and the session lease on its own queue.
 */
import { proxyLocalActivities, proxyActivities, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { HoldSessionRequest } from '../../activities/session-lease';
import { DEFAULT_OUTAGE_BUDGET_MS } from '../definitions/transfer';
import { leaseTaskQueueFor } from '../definitions/task-queues';
import { outageRetry, PERMANENT_FAILURES } from './retry';

export interface SagaTimings {
  outageBudgetMs?: number | undefined;
  outageRetryIntervalMs?: number | undefined;
  keepAliveIntervalMs: number;
  heartbeatTimeoutMs: number;
}

export interface SagaProxies {
  /** The outage-tolerant retry policy, with the saga's outage retry interval, for its other activities. */
  retry: RetryPolicy;
  /** Short control-plane calls; retried, whatever the attempt count, for up to the outage budget. */
  control: Activities;
  /** The compensations' own policy: they outlast the budget, so cleanup happens when vCenter returns. */
  compensate: Activities;
  /** Runs the session's lease until cancelled (see lib/session-lease.ts). */
  holdSession: (kind: HoldSessionRequest['kind'], vcenter: string, sessionId: string) => Promise<void>;
}

export function sagaProxies({
  outageBudgetMs,
  outageRetryIntervalMs,
  keepAliveIntervalMs,
  heartbeatTimeoutMs,
}: SagaTimings): SagaProxies {
  const budget = outageBudgetMs ?? DEFAULT_OUTAGE_BUDGET_MS;
  const retry = outageRetry(outageRetryIntervalMs);
  const local = {
    startToCloseTimeout: '2 minutes',
    // A retry due more than 10 s later waits on a workflow timer rather than holding the workflow task open.
    localRetryThreshold: '10 seconds',
    retry,
  } as const;
  const lease = proxyActivities<Activities>({
    taskQueue: leaseTaskQueueFor(workflowInfo().taskQueue),
    // Ends only when the saga cancels it; a lease that outlives this is simply retried.
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: {
      initialInterval: '1s',
      maximumInterval: Math.min(10_000, outageRetryIntervalMs ?? Infinity),
      nonRetryableErrorTypes: PERMANENT_FAILURES,
    },
  });
  return {
    retry,
    control: proxyLocalActivities<Activities>({ ...local, scheduleToCloseTimeout: budget }),
    // A saga that failed because vCenter was away for its whole budget compensates while it may
    // still be away: each undo waits twice the budget and ten minutes more.
    compensate: proxyLocalActivities<Activities>({
      ...local,
      scheduleToCloseTimeout: 2 * budget + 10 * 60_000,
    }),
    holdSession: async (kind, vcenter, sessionId) =>
      lease.holdSession({
        kind,
        vcenter,
        sessionId,
        intervalMs: keepAliveIntervalMs,
        outageBudgetMs: budget,
        // Left out when unset, so the lease probes as it always has.
        ...(outageRetryIntervalMs !== undefined ? { outageRetryIntervalMs } : {}),
      }),
  };
}
