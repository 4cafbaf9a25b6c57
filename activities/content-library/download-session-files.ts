/**
 * Files of a download session (`downloadsession.File`). `/api` nests them under the session
 * (`download-session/{id}/file`, one by `?file_name=`); `/rest` keys them by the session id
 * (`downloadsession/file/id:{id}`) and names a file in the body of a POST `get`.
 */
import { DownloadSessionFileInfo, type EndpointType, listOf } from './schemas';
import type { Transport } from './transport';
import { REST_RESOURCE, RESOURCE } from './wire';

export class DownloadSessionFiles {
  constructor(private readonly t: Transport) {}

  /** All files of the item behind a download session, with their prepare status. */
  list(sessionId: string): Promise<DownloadSessionFileInfo[]> {
    return this.t.call(
      {
        operation: 'listDownloadSessionFiles',
        method: 'GET',
        target: { resource: RESOURCE.downloadSession, id: sessionId, nested: ['file'] },
        rest: {
          path: REST_RESOURCE.downloadSessionFile,
          id: undefined,
          query: { download_session_id: sessionId },
        },
        replayOn401: true,
      },
      listOf(DownloadSessionFileInfo),
    );
  }

  /** One file of a download session; poll it until `status` is PREPARED. */
  get(sessionId: string, fileName: string): Promise<DownloadSessionFileInfo> {
    return this.t.call(
      {
        operation: 'getDownloadSessionFile',
        method: 'GET',
        target: { resource: RESOURCE.downloadSession, id: sessionId, nested: ['file'] },
        query: { file_name: fileName },
        rest: {
          method: 'POST',
          path: REST_RESOURCE.downloadSessionFile,
          action: 'get',
          query: {},
          body: { file_name: fileName },
        },
        replayOn401: true,
      },
      DownloadSessionFileInfo,
    );
  }

  /** Asks the server to prepare a file; its `download_endpoint` is valid once the status is PREPARED. */
  prepare(
    sessionId: string,
    fileName: string,
    endpointType: EndpointType = 'HTTPS',
  ): Promise<DownloadSessionFileInfo> {
    return this.t.call(
      {
        operation: 'prepareDownloadSessionFile',
        method: 'POST',
        target: { resource: RESOURCE.downloadSession, id: sessionId, nested: ['file'] },
        action: 'prepare',
        body: { file_name: fileName, endpoint_type: endpointType },
        rest: { path: REST_RESOURCE.downloadSessionFile },
        replayOn401: true,
      },
      DownloadSessionFileInfo,
    );
  }
}
