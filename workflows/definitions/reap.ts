/**
 * The `reapOrphanSessions` workflow's contract: input, what it found and what it did.
 * Shared by the workflow, its activities and the client; no I/O here.
 *
 * The age rule. The API gives a session no creation time, only `expiration_time`, which
 * the server moves to "last activity + the session timeout" on every keep_alive, transfer
 * or state change (the timeout is a Content Library Service setting, five minutes by
 * default; vcsim uses one hour). So `expiration_time - leaseMs` is the session's last
 * activity, and `now - that` is how long it has been idle. A session is reaped only when
 * it is ACTIVE, no running workflow of ours names it in `CloSessionId`, and it has been
 * idle for at least `graceMs`. Idle time rather than age because it is stateless (a fresh
 * scheduled run needs no memory of earlier runs), and because "nobody has touched it for
 * a quarter of an hour" is what abandoned means: a live saga keeps its session under its
 * keep-alive interval, and so does another tool's upload in progress. If the server's
 * real timeout is longer than `leaseMs`, idle time is underestimated and the reaper waits
 * longer; it never acts sooner. A session without `expiration_time` is left alone.
 */
import { z } from 'zod';

export const ReapInput = z.object({
  /** Configured vCenter connection name; never credentials. */
  vcenter: z.string().min(1),
  /** Idle time after which an unowned ACTIVE session counts as abandoned. @default 15 minutes */
  graceMs: z
    .number()
    .int()
    .min(0)
    .default(15 * 60_000),
  /** Report what would be reaped; change nothing. @default false */
  dryRun: z.boolean().default(false),
  /** The server's session timeout (expiration_time − leaseMs = last activity). @default 5 minutes, the documented default */
  leaseMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
});
export type ReapInput = z.input<typeof ReapInput>;
export type ParsedReapInput = z.infer<typeof ReapInput>;

export const SessionKind = z.enum(['update', 'download']);
export type SessionKind = z.infer<typeof SessionKind>;

/** A workflow of ours that names the session in CloSessionId. */
export const SessionOwner = z.object({
  workflowId: z.string(),
  runId: z.string(),
  /** Temporal execution status, e.g. RUNNING or TERMINATED. */
  status: z.string(),
});
export type SessionOwner = z.infer<typeof SessionOwner>;

/** One session as the reaper saw it. */
export const ObservedSession = z.object({
  id: z.string(),
  kind: SessionKind,
  itemId: z.string(),
  state: z.string(),
  expirationTime: z.string().optional(),
  /** now − (expiration_time − leaseMs), on the worker's clock; absent when the server gave no expiration_time. */
  idleMs: z.number().optional(),
  /** The running workflow that owns the session, if any. */
  owner: SessionOwner.optional(),
  /** A closed workflow that used the session (it ended without cleaning up), if any. */
  formerOwner: SessionOwner.optional(),
  /** Visibility could not be asked about this session (an id unsafe to put in a query): it is never reaped. */
  ownerUnknown: z.boolean().optional(),
});
export type ObservedSession = z.infer<typeof ObservedSession>;

/**
 * What happened to a session: `kept` (with the reason), `would-reap` (dry run), `reaped`
 * (canceled, and deleted for a download session), `gone` (it vanished before the reaper
 * acted), `failed` (the cancel or delete kept failing; see reason).
 */
export const ReapOutcome = z.enum(['kept', 'would-reap', 'reaped', 'gone', 'failed']);
export type ReapOutcome = z.infer<typeof ReapOutcome>;

export const ReapedSession = ObservedSession.extend({
  outcome: ReapOutcome,
  reason: z.string(),
  /** Calls made on the session: `cancel`, `delete`. */
  steps: z.array(z.enum(['cancel', 'delete'])),
});
export type ReapedSession = z.infer<typeof ReapedSession>;

export const ReapResult = z.object({
  vcenter: z.string(),
  dryRun: z.boolean(),
  graceMs: z.number(),
  leaseMs: z.number(),
  /** Every update and download session the configured user can see, in the order the server listed them. */
  sessions: z.array(ReapedSession),
  counts: z.object({ found: z.number(), orphaned: z.number(), reaped: z.number(), failed: z.number() }),
});
export type ReapResult = z.infer<typeof ReapResult>;

/** The decision for one observed session, before anything is done: why it is kept, or null to reap it. */
export function keepReason(session: ObservedSession, graceMs: number): string | null {
  if (session.state !== 'ACTIVE') return `state is ${session.state}`;
  if (session.owner) return `owned by running workflow ${session.owner.workflowId}`;
  if (session.ownerUnknown) return 'its owner cannot be looked up (the id is unsafe in a visibility query)';
  if (session.idleMs === undefined) return 'the server gave no expiration_time, so its idle time is unknown';
  if (session.idleMs < graceMs) {
    const longer =
      session.idleMs < 0
        ? " (expiration_time is further off than leaseMs: the server's session timeout is longer)"
        : '';
    return `idle ${formatMs(session.idleMs)}, under the grace period of ${formatMs(graceMs)}${longer}`;
  }
  return null;
}

/** 930000 → "15m30s"; negative idle (a server timeout longer than assumed) reads as 0s. */
export function formatMs(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return h ? `${h}h${m}m` : m ? `${m}m${s}s` : `${s}s`;
}
