/**
 * Update-session control-plane activities. Each is short and safe to retry; the
 * ones a compensation calls treat "already gone" as done. A session that vanished
 * (expired while every worker was down) surfaces as the permanent `SessionGone`,
 * which the saga answers by starting a new session.
 */
import { activityInfo, cancellationSignal } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { isContentLibraryError, type ValidationResult } from './content-library';
import { permanent, sessionGone } from './failures';
import { heartbeatWhile } from './heartbeat-while';
import { countSession } from './metrics';
import type { VCenterClients } from './vcenter-clients';

/** Runs a call on an existing session, turning NotFound into SessionGone. */
async function onSession<T>(sessionId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') {
      throw sessionGone(sessionId);
    }
    throw err;
  }
}

/** What the upload saga reads after `complete`: the session's state and, once DONE, the item's content version. */
export interface CompletedSession {
  state: string;
  errorMessage?: string;
  contentVersion?: string;
}

function describeValidation(result: ValidationResult): string {
  const parts = [
    ...result.missing_files.map((name) => `${name}: missing`),
    ...result.invalid_files.map((f) => `${f.name}: ${f.error_message.default_message}`),
  ];
  return parts.join('; ');
}

export function updateSessionActivities(vcenters: VCenterClients, temporal?: Client) {
  const activities = {
    /**
     * Creates the update session. The workflow's `clientToken` makes a retried create
     * return the same session. When another session holds the item the failure is the
     * permanent `ItemBusy`, naming that session.
     */
    async createUpdateSession(vcenter: string, itemId: string, clientToken: string): Promise<string> {
      const client = vcenters.get(vcenter);
      try {
        const sessionId = await client.createUpdateSession({ library_item_id: itemId }, clientToken);
        countSession('update', 'created');
        return sessionId;
      } catch (err) {
        if (isContentLibraryError(err) && err.code === 'RESOURCE_BUSY') {
          const holders = await activeUpdateSessions(client, itemId);
          throw permanent(
            'ItemBusy',
            `library item ${itemId} is busy: update session ${holders.join(', ') || '(unknown)'} is active on it. ` +
              'Wait for it, cancel it, or start the upload with options.takeOver to cancel sessions no running workflow owns.',
            { itemId, sessionIds: holders },
          );
        }
        throw err;
      }
    },

    /**
     * Cancels the ACTIVE update sessions on an item that no running workflow owns
     * (asked of Temporal's visibility through the CloSessionId search attribute).
     * Returns what it canceled and what it left alone.
     */
    async takeOverItem(vcenter: string, itemId: string): Promise<{ canceled: string[]; owned: string[] }> {
      if (!temporal)
        throw permanent('TakeOverUnavailable', 'this worker has no Temporal client to check session owners');
      const client = vcenters.get(vcenter);
      const canceled: string[] = [];
      const owned: string[] = [];
      for (const sessionId of await activeUpdateSessions(client, itemId)) {
        const owners = await temporal.workflow.count(
          `CloSessionId = '${sessionId}' AND ExecutionStatus = 'Running'`,
        );
        if (owners.count > 0) {
          owned.push(sessionId);
          continue;
        }
        try {
          await client.cancelUpdateSession(sessionId);
          canceled.push(sessionId);
        } catch (err) {
          if (!(
            isContentLibraryError(err) && ['NOT_FOUND', 'NOT_ALLOWED_IN_CURRENT_STATE'].includes(err.code)
          ))
            throw err;
        }
      }
      return { canceled, owned };
    },

    /** Extends the session's life and reports progress (0–100, only ever increasing). */
    async keepAliveUpdateSession(vcenter: string, sessionId: string, clientProgress?: number): Promise<void> {
      await onSession(sessionId, async () =>
        vcenters.get(vcenter).keepAliveUpdateSession(sessionId, clientProgress),
      );
    },

    /** Marks item files absent from the source for removal; returns their names. */
    async removeFilesNotIn(
      vcenter: string,
      sessionId: string,
      itemId: string,
      keep: string[],
    ): Promise<string[]> {
      const client = vcenters.get(vcenter);
      const wanted = new Set(keep);
      const stale = (await client.listLibraryItemFiles(itemId))
        .map((f) => f.name)
        .filter((n) => !wanted.has(n));
      for (const name of [...new Set(stale)]) {
        await onSession(sessionId, async () => client.removeUpdateSessionFile(sessionId, name));
      }
      return [...new Set(stale)];
    },

    /** Validates the session; missing or invalid files fail the saga (permanent `ValidationFailed`) with the server's reasons. */
    async validateUpdateSession(vcenter: string, sessionId: string): Promise<ValidationResult> {
      const result = await heartbeatWhile(async () =>
        onSession(sessionId, async () => vcenters.get(vcenter).validateUpdateSessionFiles(sessionId)),
      );
      if (result.has_errors || result.missing_files.length > 0 || result.invalid_files.length > 0) {
        throw permanent('ValidationFailed', `the server rejected the upload: ${describeValidation(result)}`, {
          missingFiles: result.missing_files,
          invalidFiles: result.invalid_files.map((f) => ({
            name: f.name,
            reason: f.error_message.default_message,
          })),
        });
      }
      return result;
    },

    /**
     * Completes the session. A retry after a crash during `complete` finds the session
     * already DONE (or finishing) and succeeds instead of failing on its state.
     */
    async completeUpdateSession(vcenter: string, sessionId: string): Promise<void> {
      const client = vcenters.get(vcenter);
      try {
        await heartbeatWhile(async () =>
          onSession(sessionId, async () => client.completeUpdateSession(sessionId)),
        );
      } catch (err) {
        if (isContentLibraryError(err) && err.code === 'NOT_ALLOWED_IN_CURRENT_STATE') {
          const session = await client.getUpdateSession(sessionId);
          if (session.state === 'DONE') return;
        }
        throw err;
      }
      countSession('update', 'completed');
    },

    /**
     * validateUpdateSession then completeUpdateSession in one activity: the upload saga's, since
     * patch 'upload-fewer-round-trips', one task to schedule and one workflow task fewer. A retry
     * first asks the session's state: once `complete` was accepted (its answer lost), validate
     * would be refused, and complete's own retry finds DONE. Heartbeats like each of the two.
     */
    async validateAndCompleteUpdateSession(vcenter: string, sessionId: string): Promise<void> {
      const again = activityInfo().attempt > 1;
      const { state } = again
        ? await activities.getUpdateSessionState(vcenter, sessionId)
        : { state: 'ACTIVE' };
      if (state === 'ACTIVE') await activities.validateUpdateSession(vcenter, sessionId);
      // A saga cancelled while validate ran must not complete.
      cancellationSignal().throwIfAborted();
      await activities.completeUpdateSession(vcenter, sessionId);
    },

    /**
     * After complete: the session's state and, when it is DONE, the item's content version, in
     * one call where the saga used to make two. A content version that cannot be read is left
     * out (the upload is done; only the result lacks it).
     */
    async readCompletedSession(
      vcenter: string,
      sessionId: string,
      itemId: string,
    ): Promise<CompletedSession> {
      const state = await activities.getUpdateSessionState(vcenter, sessionId);
      if (state.state !== 'DONE') return state;
      const item = await vcenters
        .get(vcenter)
        .getLibraryItem(itemId)
        .catch(() => undefined);
      return { ...state, ...(item?.content_version ? { contentVersion: item.content_version } : {}) };
    },

    /** State and error message of the session, for the saga's wait for DONE. */
    async getUpdateSessionState(
      vcenter: string,
      sessionId: string,
    ): Promise<{ state: string; errorMessage?: string }> {
      const session = await onSession(sessionId, async () =>
        vcenters.get(vcenter).getUpdateSession(sessionId),
      );
      return {
        state: session.state,
        ...(session.error_message ? { errorMessage: session.error_message.default_message } : {}),
      };
    },

    /** Compensation: tells the server the client failed. A session already gone or no longer ACTIVE is left as it is. */
    async failUpdateSession(vcenter: string, sessionId: string, message: string): Promise<void> {
      try {
        await vcenters.get(vcenter).failUpdateSession(sessionId, message.slice(0, 1000));
        countSession('update', 'failed');
      } catch (err) {
        if (isContentLibraryError(err) && ['NOT_FOUND', 'NOT_ALLOWED_IN_CURRENT_STATE'].includes(err.code))
          return;
        throw err;
      }
    },

    /** Compensation on cancellation: cancels the session, discarding what it received. */
    async cancelUpdateSession(vcenter: string, sessionId: string): Promise<void> {
      try {
        await vcenters.get(vcenter).cancelUpdateSession(sessionId);
        countSession('update', 'canceled');
      } catch (err) {
        if (isContentLibraryError(err) && ['NOT_FOUND', 'NOT_ALLOWED_IN_CURRENT_STATE'].includes(err.code))
          return;
        throw err;
      }
    },
  };
  return activities;
}

async function activeUpdateSessions(
  client: ReturnType<VCenterClients['get']>,
  itemId: string,
): Promise<string[]> {
  const active: string[] = [];
  for (const id of await client.listUpdateSessions(itemId)) {
    try {
      // vcsim ignores the library_item_id filter, so check the item too.
      const session = await client.getUpdateSession(id);
      if (session.state === 'ACTIVE' && session.library_item_id === itemId) active.push(id);
    } catch (err) {
      if (!(isContentLibraryError(err) && err.code === 'NOT_FOUND')) throw err;
    }
  }
  return active;
}
