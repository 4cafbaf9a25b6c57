/**
 * The session lease as one long activity per session (`holdSession`): `keep_alive` every
 * interval, a heartbeat every second, until the saga cancels it.
 *
 * Why an activity and not a loop of workflow timers: a loop costs ~8 history events per
 * keep_alive (a 24-hour transfer passed Temporal's 10,240-event warning), while this costs
 * a handful per session; and it runs on its own task queue (`<queue>/lease`, see
 * worker/create-worker.ts) with slots of its own, so it never waits behind transfers.
 *
 * It also watches the vCenter: while keep_alive fails it tells the saga (a signal, so the
 * Web UI shows "waiting for vCenter"), and once the failures have lasted longer than the
 * outage budget it gives up with the permanent `VCenterUnreachable`. A session that is gone
 * (NOT_FOUND: it expired while vCenter or every worker was away) is the permanent
 * `SessionGone`, which the saga answers by starting a new session.
 */
import { activityInfo, cancellationSignal, heartbeat, log, sleep } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  progressQuery,
  vcenterStatusSignal,
  type TransferProgress,
  type VCenterStatus,
} from '../workflows/definitions/transfer';
import { isContentLibraryError } from './content-library';
import { permanent, sessionGone } from './failures';
import type { VCenterClients } from './vcenter-clients';

/** What a saga asks of its lease. */
export interface HoldSessionRequest {
  kind: 'update' | 'download';
  vcenter: string;
  sessionId: string;
  /** How often keep_alive is called. */
  intervalMs: number;
  /** How long keep_alive may keep failing before the lease gives up. */
  outageBudgetMs: number;
  /** The saga's outage retry interval: while vCenter is away, keep_alive is tried at least this often. */
  outageRetryIntervalMs?: number;
}

/** Carried from attempt to attempt, so a lease retried on another worker keeps its outage clock. */
export interface LeaseHeartbeat {
  /** client_progress last reported (the server refuses one that goes backwards). */
  clientProgress: number;
  /** First failed keep_alive of the current outage (epoch ms). */
  unreachableSince?: number;
}

/** How often the lease heartbeats; a cancellation reaches it no later than this. */
const HEARTBEAT_MS = 1000;
/** How often keep_alive is tried while vCenter does not answer, unless the saga asks for more often. */
const OUTAGE_RETRY_MS = 10_000;
/** How long the lease waits for the saga to answer its progress query before keeping alive without it. */
const QUERY_DEADLINE_MS = 5000;

function percent(p: TransferProgress): number {
  return p.totalBytes > 0 ? Math.min(99, Math.floor((p.bytesSent / p.totalBytes) * 100)) : 0;
}

/** Heartbeats for `ms` (for ever by default): a cancellation arrives with a heartbeat and rejects the sleep. */
async function heartbeatFor(state: LeaseHeartbeat, ms = Infinity): Promise<void> {
  for (let waited = 0; waited < ms; waited += HEARTBEAT_MS) {
    heartbeat(state);
    await sleep(Math.min(HEARTBEAT_MS, ms - waited));
  }
}

export function sessionLeaseActivities(vcenters: VCenterClients, temporal?: Client) {
  return {
    /** Keeps the session alive until cancelled; see the module comment. */
    async holdSession(req: HoldSessionRequest): Promise<void> {
      const info = activityInfo();
      const state: LeaseHeartbeat = {
        clientProgress: 0,
        ...((info.heartbeatDetails as LeaseHeartbeat | undefined) ?? {}),
      };
      const run = info.workflowExecution;
      const saga = run && temporal?.workflow.getHandle(run.workflowId, run.runId);
      const client = vcenters.get(req.vcenter);
      const tell = async (status: VCenterStatus): Promise<void> => {
        // The saga learns it from the lease's failure anyway; the signal only drives the UI.
        await saga?.signal(vcenterStatusSignal, status).catch((err: unknown) => {
          log.warn('could not tell the saga about its vCenter', { error: (err as Error).message });
        });
      };
      /** vCenter answered (whatever it said): an outage the saga was told of is over. */
      const answered = async (): Promise<void> => {
        if (state.unreachableSince === undefined) return;
        delete state.unreachableSince;
        await tell({ reachable: true });
      };

      for (;;) {
        let progress: number | undefined;
        if (saga && temporal) {
          const deadline = Date.now() + QUERY_DEADLINE_MS;
          // Tied to the cancellation too: a draining worker's own workflow worker no longer
          // answers, and the lease must not wait out the deadline past the shutdown grace.
          const p = await temporal
            .withAbortSignal(cancellationSignal(), async () =>
              temporal.withDeadline(deadline, async () => saga.query(progressQuery)),
            )
            .catch(() => undefined);
          if (p && percent(p) > state.clientProgress) progress = percent(p);
        }
        try {
          if (req.kind === 'update') await client.keepAliveUpdateSession(req.sessionId, progress);
          else await client.keepAliveDownloadSession(req.sessionId, progress);
          if (progress !== undefined) state.clientProgress = progress;
          await answered();
        } catch (err) {
          const code = isContentLibraryError(err) ? err.code : undefined;
          if (code === 'NOT_FOUND' || code === 'NOT_ALLOWED_IN_CURRENT_STATE') {
            // Told before the lease fails, or the saga would show "waiting for vCenter" on a new session.
            await answered();
            if (code === 'NOT_FOUND') throw sessionGone(req.sessionId);
            // No longer ACTIVE (completing, or ended by someone else): nothing to keep alive, but the
            // lease still ends only when the saga cancels it (see workflows/lib/session-lease.ts).
            await heartbeatFor(state);
            return;
          }
          const message = (err as Error).message;
          const first = state.unreachableSince === undefined;
          state.unreachableSince ??= Date.now();
          const down = Date.now() - state.unreachableSince;
          if (down > req.outageBudgetMs) {
            throw permanent(
              'VCenterUnreachable',
              `vCenter ${req.vcenter} has not answered keep_alive for session ${req.sessionId} for ` +
                `${Math.round(down / 1000)} s, longer than the outage budget of ${Math.round(req.outageBudgetMs / 1000)} s ` +
                `(options.outageBudgetMs, CLO_OUTAGE_BUDGET); last error: ${message}`,
              { vcenter: req.vcenter, sessionId: req.sessionId, since: state.unreachableSince },
            );
          }
          if (first) await tell({ reachable: false, since: state.unreachableSince, error: message });
          log.warn('keep_alive failed; will try again', { sessionId: req.sessionId, error: message });
        }
        // While vCenter is away, ask more often, so its return (and an expired session) is noticed soon.
        await heartbeatFor(
          state,
          state.unreachableSince === undefined
            ? req.intervalMs
            : Math.min(req.intervalMs, OUTAGE_RETRY_MS, req.outageRetryIntervalMs ?? Infinity),
        );
      }
    },
  };
}
