/** Download sessions (`content/library/item/download-session`): the lease under which an item's files are read. */
import { DownloadSessionModel, Id, IdList } from './schemas';
import type { Transport } from './transport';
import type { SessionCreateSpec } from './update-sessions';
import { actionOperation, createOperation, RESOURCE } from './wire';

export class DownloadSessions {
  constructor(private readonly t: Transport) {}

  /** Opens a download session on an item; returns its id. Pass a stable `clientToken` (UUID) so a retried create returns the same session. */
  create(spec: SessionCreateSpec, clientToken?: string): Promise<string> {
    const model = { library_item_id: spec.library_item_id };
    return this.t.call(
      createOperation('createDownloadSession', RESOURCE.downloadSession, model, clientToken),
      Id,
    );
  }

  /** One download session with its current state. */
  get(sessionId: string): Promise<DownloadSessionModel> {
    return this.t.call(
      {
        operation: 'getDownloadSession',
        method: 'GET',
        target: { resource: RESOURCE.downloadSession, id: sessionId },
        replayOn401: true,
      },
      DownloadSessionModel,
    );
  }

  /** Ids of the caller's download sessions, optionally of one item (vcsim ignores the filter). */
  list(libraryItemId?: string): Promise<string[]> {
    return this.t.call(
      {
        operation: 'listDownloadSessions',
        method: 'GET',
        target: { resource: RESOURCE.downloadSession },
        query: { library_item_id: libraryItemId },
        replayOn401: true,
      },
      IdList,
    );
  }

  /** Extends a download session's lease; `progress` (0–100) must exceed the last value sent. */
  keepAlive(sessionId: string, progress?: number): Promise<void> {
    const body = progress !== undefined ? { progress } : undefined;
    return this.t.callVoid(
      actionOperation('keepAliveDownloadSession', RESOURCE.downloadSession, sessionId, 'keep-alive', body),
    );
  }

  /** Cancels a download session, invalidating its download URLs. */
  cancel(sessionId: string): Promise<void> {
    return this.t.callVoid(
      actionOperation('cancelDownloadSession', RESOURCE.downloadSession, sessionId, 'cancel'),
    );
  }

  /** Ends a download session in ERROR with a client-side reason. */
  fail(sessionId: string, clientErrorMessage: string): Promise<void> {
    return this.t.callVoid(
      actionOperation('failDownloadSession', RESOURCE.downloadSession, sessionId, 'fail', {
        client_error_message: clientErrorMessage,
      }),
    );
  }

  /** Deletes a download session. */
  delete(sessionId: string): Promise<void> {
    return this.t.callVoid({
      operation: 'deleteDownloadSession',
      method: 'DELETE',
      target: { resource: RESOURCE.downloadSession, id: sessionId },
      replayOn401: true,
    });
  }
}
