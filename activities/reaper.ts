/**
 * The reaper's activities: survey every update and download session of the configured
 * user with its owner (Temporal visibility, CloSessionId) and idle time, and reap one
 * session after checking all of that again at the moment of acting. The rule itself is
 * `keepReason` in workflows/definitions/reap.ts, shared with the workflow.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  keepReason,
  type ObservedSession,
  type ReapedSession,
  type SessionKind,
  type SessionOwner,
} from '../workflows/definitions/reap';
import { isContentLibraryError, type ContentLibraryClient } from './content-library';
import { permanent } from './failures';
import type { VCenterClients } from './vcenter-clients';

/** What the reaper's rule needs: see ReapInput. */
export interface ReapRule {
  graceMs: number;
  leaseMs: number;
}

/** What one reapSession call did; the workflow merges it into the session's entry. */
export type ReapSessionResult = Pick<ReapedSession, 'outcome' | 'reason' | 'steps'> & {
  observed?: ObservedSession;
};

const isNotFound = (err: unknown): boolean => isContentLibraryError(err) && err.code === 'NOT_FOUND';
const isGoneOrEnded = (err: unknown): boolean =>
  isContentLibraryError(err) && ['NOT_FOUND', 'NOT_ALLOWED_IN_CURRENT_STATE'].includes(err.code);

export function reaperActivities(vcenters: VCenterClients, temporal?: Client) {
  /** The workflows that name `sessionId` in CloSessionId: a running one, and a closed one that left it behind. */
  async function ownersOf(
    sessionId: string,
  ): Promise<Pick<ObservedSession, 'owner' | 'formerOwner' | 'ownerUnknown'>> {
    if (!temporal) {
      throw permanent('OwnerCheckUnavailable', 'this worker has no Temporal client to check session owners');
    }
    // Ids come from the server; one that could break out of the query string is never reaped.
    if (!/^[A-Za-z0-9:._-]+$/.test(sessionId)) return { ownerUnknown: true };
    let owner: SessionOwner | undefined;
    let formerOwner: SessionOwner | undefined;
    let seen = 0;
    for await (const wf of temporal.workflow.list({ query: `CloSessionId = '${sessionId}'`, pageSize: 10 })) {
      const who = { workflowId: wf.workflowId, runId: wf.runId, status: wf.status.name };
      if (wf.status.name === 'RUNNING') owner ??= who;
      else formerOwner ??= who;
      if (owner || ++seen >= 10) break;
    }
    return { ...(owner ? { owner } : {}), ...(formerOwner ? { formerOwner } : {}) };
  }

  /** One session now: state, idle time on this worker's clock, owners (for ACTIVE ones). Null when it is gone. */
  async function observe(
    client: ContentLibraryClient,
    kind: SessionKind,
    id: string,
    leaseMs: number,
  ): Promise<ObservedSession | null> {
    let session: { library_item_id: string; state: string; expiration_time?: string | undefined };
    try {
      session = kind === 'update' ? await client.getUpdateSession(id) : await client.getDownloadSession(id);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    const expires = session.expiration_time ? Date.parse(session.expiration_time) : NaN;
    return {
      id,
      kind,
      itemId: session.library_item_id,
      state: session.state,
      ...(session.expiration_time ? { expirationTime: session.expiration_time } : {}),
      ...(Number.isFinite(expires) ? { idleMs: Date.now() - (expires - leaseMs) } : {}),
      ...(session.state === 'ACTIVE' ? await ownersOf(id) : {}),
    };
  }

  return {
    /** Every update and download session the configured user can see, with owners and idle time. */
    async listSessionsForReaper(vcenter: string, leaseMs: number): Promise<ObservedSession[]> {
      const client = vcenters.get(vcenter);
      const out: ObservedSession[] = [];
      const kinds: Array<[SessionKind, () => Promise<string[]>]> = [
        ['update', async () => client.listUpdateSessions()],
        ['download', async () => client.listDownloadSessions()],
      ];
      for (const [kind, list] of kinds) {
        for (const id of [...new Set(await list())]) {
          heartbeat();
          const seen = await observe(client, kind, id, leaseMs);
          if (seen) out.push(seen);
        }
      }
      return out;
    },

    /**
     * Reaps one session if, looked at again now, it is still ACTIVE, unowned and idle past
     * the grace period: cancels it, and deletes it when it is a download session. Safe to
     * retry: a cancel already done (recorded in the heartbeat) is not repeated, and a session
     * already gone or ended counts as done.
     */
    async reapSession(
      vcenter: string,
      kind: SessionKind,
      id: string,
      rule: ReapRule,
    ): Promise<ReapSessionResult> {
      const client = vcenters.get(vcenter);
      const earlier = activityInfo().heartbeatDetails as { canceled?: boolean } | undefined;
      const steps: ReapSessionResult['steps'] = [];
      let observed: ObservedSession | undefined;
      if (!earlier?.canceled) {
        const now = await observe(client, kind, id, rule.leaseMs);
        if (!now) return { outcome: 'gone', reason: 'the session no longer exists', steps };
        observed = now;
        const keep = keepReason(now, rule.graceMs);
        // A download session an earlier attempt canceled (before its heartbeat got out) still needs
        // deleting; the cancel itself counted as activity, so only the owner is checked again.
        const retried = kind === 'download' && now.state === 'CANCELED' && activityInfo().attempt > 1;
        const owners = retried ? await ownersOf(id) : undefined;
        const leftCanceled = owners !== undefined && !owners.owner && !owners.ownerUnknown;
        if (keep && !leftCanceled) {
          return {
            outcome: now.state === 'ACTIVE' ? 'kept' : 'gone',
            reason: `on a second look: ${keep}`,
            steps,
            observed,
          };
        }
        if (!leftCanceled) {
          try {
            await (kind === 'update' ? client.cancelUpdateSession(id) : client.cancelDownloadSession(id));
          } catch (err) {
            if (!isGoneOrEnded(err)) throw err;
          }
          steps.push('cancel');
          heartbeat({ canceled: true });
        }
      } else {
        steps.push('cancel');
      }
      if (kind === 'download') {
        try {
          await client.deleteDownloadSession(id);
        } catch (err) {
          // vcsim deletes a download session on cancel already.
          if (!isNotFound(err)) throw err;
        }
        steps.push('delete');
      }
      return {
        outcome: 'reaped',
        reason: kind === 'download' ? 'canceled and deleted' : 'canceled',
        steps,
        ...(observed ? { observed } : {}),
      };
    },
  };
}
