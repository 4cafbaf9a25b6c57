/**
 * Update sessions (`content/library/item/update-session`): the lease under which files are
 * added to an item; changes become visible when the session completes. vSphere 8 adds
 * `preview_info` (the signing certificate of an OVF/OVA and its warnings) and
 * `warning_behavior`, set with {@link UpdateSessions.update} before `complete`.
 */
import { Id, IdList, UpdateSessionModel, type WarningType } from './schemas';
import type { Transport } from './transport';
import { actionOperation, createOperation, RESOURCE } from './wire';

/** Spec of `updateSessions.create` / `downloadSessions.create`. */
export interface SessionCreateSpec {
  /** Item the session is for. */
  library_item_id: string;
}

/** Fields {@link UpdateSessions.update} can change (8.0.2 `UpdateSessionModel` "used for the update operation"). */
export interface UpdateSessionUpdateSpec {
  /** Which preview warnings `complete` ignores; a type not listed keeps failing `complete`. */
  warning_behavior: Array<{ type: WarningType | (string & {}); ignored: boolean }>;
}

export class UpdateSessions {
  constructor(private readonly t: Transport) {}

  /** Opens an update session on an item; returns its id. Pass a stable `clientToken` (UUID) so a retried create returns the same session. */
  create(spec: SessionCreateSpec, clientToken?: string): Promise<string> {
    const model = { library_item_id: spec.library_item_id };
    return this.t.call(
      createOperation('createUpdateSession', RESOURCE.updateSession, model, clientToken),
      Id,
    );
  }

  /** One update session with its current state (and, on `/api`, its `preview_info` and `warning_behavior`). */
  get(sessionId: string): Promise<UpdateSessionModel> {
    return this.t.call(
      {
        operation: 'getUpdateSession',
        method: 'GET',
        target: { resource: RESOURCE.updateSession, id: sessionId },
        replayOn401: true,
      },
      UpdateSessionModel,
    );
  }

  /** Ids of the caller's update sessions, optionally of one item (vcsim ignores the filter). */
  list(libraryItemId?: string): Promise<string[]> {
    return this.t.call(
      {
        operation: 'listUpdateSessions',
        method: 'GET',
        target: { resource: RESOURCE.updateSession },
        query: { library_item_id: libraryItemId },
        replayOn401: true,
      },
      IdList,
    );
  }

  /**
   * Sets `warning_behavior` (PATCH, 8.0.2 `update`): the warnings `complete` will ignore.
   * `/api` only; on `/rest` an InvalidArgumentError (vapiType UNSUPPORTED) says so.
   */
  update(sessionId: string, spec: UpdateSessionUpdateSpec): Promise<void> {
    return this.t.callVoid({
      operation: 'updateUpdateSession',
      method: 'PATCH',
      target: { resource: RESOURCE.updateSession, id: sessionId },
      body: { warning_behavior: spec.warning_behavior },
      apiOnly: true,
      replayOn401: true,
    });
  }

  /** Extends an update session's lease; `clientProgress` (0–100) must exceed the last value sent. */
  keepAlive(sessionId: string, clientProgress?: number): Promise<void> {
    const body = clientProgress !== undefined ? { client_progress: clientProgress } : undefined;
    return this.t.callVoid(
      actionOperation('keepAliveUpdateSession', RESOURCE.updateSession, sessionId, 'keep-alive', body),
    );
  }

  /** Completes an update session: its changes become visible (after any PULLs finish; poll for DONE). */
  complete(sessionId: string): Promise<void> {
    return this.t.callVoid(
      actionOperation('completeUpdateSession', RESOURCE.updateSession, sessionId, 'complete'),
    );
  }

  /** Cancels an update session, aborting transfers and discarding received content. */
  cancel(sessionId: string): Promise<void> {
    return this.t.callVoid(
      actionOperation('cancelUpdateSession', RESOURCE.updateSession, sessionId, 'cancel'),
    );
  }

  /** Ends an update session in ERROR with a client-side reason. */
  fail(sessionId: string, clientErrorMessage: string): Promise<void> {
    return this.t.callVoid(
      actionOperation('failUpdateSession', RESOURCE.updateSession, sessionId, 'fail', {
        client_error_message: clientErrorMessage,
      }),
    );
  }

  /** Deletes an update session (refused while ACTIVE on a real vCenter). */
  delete(sessionId: string): Promise<void> {
    return this.t.callVoid({
      operation: 'deleteUpdateSession',
      method: 'DELETE',
      target: { resource: RESOURCE.updateSession, id: sessionId },
      replayOn401: true,
    });
  }
}
