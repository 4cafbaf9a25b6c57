/**
 * Files of an update session (`updatesession.File`). `/api` nests them under the session
 * (`update-session/{id}/file[/{name}]`); `/rest` keys them by the session id
 * (`updatesession/file/id:{id}`) and names a file in the body of a POST action.
 */
import { type AddSpec, listOf, UpdateSessionFileInfo, ValidationResult } from './schemas';
import type { Transport } from './transport';
import { REST_RESOURCE, RESOURCE } from './wire';

export class UpdateSessionFiles {
  constructor(private readonly t: Transport) {}

  /** Adds (or replaces) a file in an update session: PUSH returns an `upload_endpoint` to PUT to; PULL makes the server fetch `source_endpoint`. */
  add(sessionId: string, fileSpec: AddSpec): Promise<UpdateSessionFileInfo> {
    return this.t.call(
      {
        operation: 'addUpdateSessionFile',
        method: 'POST',
        target: { resource: RESOURCE.updateSession, id: sessionId, nested: ['file'] },
        body: fileSpec,
        restWrap: 'file_spec',
        rest: { path: REST_RESOURCE.updateSessionFile, action: 'add' },
        replayOn401: true,
      },
      UpdateSessionFileInfo,
    );
  }

  /** One file of an update session with its transfer status. */
  get(sessionId: string, fileName: string): Promise<UpdateSessionFileInfo> {
    return this.t.call(
      {
        operation: 'getUpdateSessionFile',
        method: 'GET',
        target: { resource: RESOURCE.updateSession, id: sessionId, nested: ['file', fileName] },
        rest: {
          method: 'POST',
          path: REST_RESOURCE.updateSessionFile,
          action: 'get',
          body: { file_name: fileName },
        },
        replayOn401: true,
      },
      UpdateSessionFileInfo,
    );
  }

  /** All files of an update session. */
  list(sessionId: string): Promise<UpdateSessionFileInfo[]> {
    return this.t.call(
      {
        operation: 'listUpdateSessionFiles',
        method: 'GET',
        target: { resource: RESOURCE.updateSession, id: sessionId, nested: ['file'] },
        rest: {
          path: REST_RESOURCE.updateSessionFile,
          id: undefined,
          query: { update_session_id: sessionId },
        },
        replayOn401: true,
      },
      listOf(UpdateSessionFileInfo),
    );
  }

  /** Marks a file for removal when the session completes. Beware: vcsim deletes the whole session instead. */
  remove(sessionId: string, fileName: string): Promise<void> {
    return this.t.callVoid({
      operation: 'removeUpdateSessionFile',
      method: 'DELETE',
      target: { resource: RESOURCE.updateSession, id: sessionId, nested: ['file', fileName] },
      rest: {
        method: 'POST',
        path: REST_RESOURCE.updateSessionFile,
        action: 'remove',
        body: { file_name: fileName },
      },
      replayOn401: true,
    });
  }

  /** Reports missing and invalid files before `complete`. */
  validate(sessionId: string): Promise<ValidationResult> {
    return this.t.call(
      {
        operation: 'validateUpdateSessionFiles',
        method: 'POST',
        target: { resource: RESOURCE.updateSession, id: sessionId, nested: ['file'] },
        action: 'validate',
        rest: { path: REST_RESOURCE.updateSessionFile },
        replayOn401: true,
      },
      ValidationResult,
    );
  }
}
