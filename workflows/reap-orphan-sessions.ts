/**
 * `reapOrphanSessions`: finds the update and download sessions on a vCenter that no
 * running workflow of ours owns and that nobody has touched for the grace period, and
 * ends them (cancel; cancel and delete for a download session), so an item blocked by a
 * saga that was terminated, or by a client that went away, can be updated again.
 *
 * survey (one activity: sessions, owners from visibility, idle time) → decide with
 * `keepReason` → per candidate one activity that checks everything again and acts. The
 * age rule and why it is idle time: workflows/definitions/reap.ts. A live saga's session
 * is never touched: it is owned (CloSessionId) and, besides, kept alive well inside the
 * grace period.
 */
import {
  ApplicationFailure,
  log,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PHASE, VCENTER } from './definitions/search-attributes';
import { keepReason, ReapInput, type ReapedSession, type ReapResult } from './definitions/reap';
import { rootMessage } from './lib/failures';
import { parseInput } from './lib/input';
import { runPool } from './lib/pool';
import { RETRY } from './lib/retry';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // The survey makes a few calls per session; a dead worker is noticed by the heartbeat.
  heartbeatTimeout: '1 minute',
  retry: { ...RETRY, maximumAttempts: 5 },
});

export async function reapOrphanSessions(rawInput: unknown): Promise<ReapResult> {
  const input = parseInput(ReapInput, rawInput, 'reapOrphanSessions');
  const { vcenter, graceMs, leaseMs, dryRun } = input;
  upsertSearchAttributes([
    { key: VCENTER, value: vcenter },
    { key: PHASE, value: 'surveying' },
  ]);

  const observed = await acts.listSessionsForReaper(vcenter, leaseMs);
  const decided: ReapedSession[] = observed.map((s) => {
    const keep = keepReason(s, graceMs);
    return keep
      ? { ...s, outcome: 'kept', reason: keep, steps: [] }
      : { ...s, outcome: dryRun ? 'would-reap' : 'reaped', reason: dryRun ? 'dry run' : '', steps: [] };
  });
  const orphans = decided.filter((s) => s.outcome !== 'kept');
  setCurrentDetails(
    `${dryRun ? 'dry run: ' : ''}${observed.length} sessions on ${vcenter}, ${orphans.length} orphaned ` +
      `(unowned, ACTIVE, idle ≥ ${Math.round(graceMs / 1000)}s)`,
  );

  if (!dryRun && orphans.length > 0) {
    upsertSearchAttributes([{ key: PHASE, value: 'reaping' }]);
    await runPool(orphans, 4, async (entry) => {
      try {
        const done = await acts.reapSession(vcenter, entry.kind, entry.id, { graceMs, leaseMs });
        Object.assign(entry, done.observed ?? {}, {
          outcome: done.outcome,
          reason: done.reason,
          steps: done.steps,
        });
      } catch (err) {
        // One session that cannot be ended must not stop the others; the result says which.
        entry.outcome = 'failed';
        entry.reason = rootMessage(err);
        log.warn('could not reap a session', { sessionId: entry.id, error: entry.reason });
      }
    });
  }

  const count = (o: ReapedSession['outcome']) => decided.filter((s) => s.outcome === o).length;
  const result: ReapResult = {
    vcenter,
    dryRun,
    graceMs,
    leaseMs,
    sessions: decided,
    counts: {
      found: decided.length,
      orphaned: orphans.length,
      reaped: count('reaped'),
      failed: count('failed'),
    },
  };
  upsertSearchAttributes([{ key: PHASE, value: result.counts.failed ? 'failed' : 'done' }]);
  // Partly done is still a failure worth seeing in the Web UI and on a schedule; the details say what was done.
  if (result.counts.failed) {
    const first = decided.find((s) => s.outcome === 'failed');
    throw ApplicationFailure.create({
      type: 'ReapFailed',
      message: `could not reap ${result.counts.failed} of ${orphans.length} orphaned sessions (first: ${first?.id}: ${first?.reason})`,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}
