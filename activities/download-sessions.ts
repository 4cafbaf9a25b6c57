/**
 * Download-session control-plane activities. Each is short and safe to retry; the ones
 * a compensation calls treat "already gone" as done (vcsim deletes a download session on
 * cancel and fail, so a later delete finds nothing). A session that vanished surfaces as
 * the permanent `SessionGone`, which the saga answers by starting a new session.
 */
import { setTimeout } from 'node:timers/promises';
import {
  isContentLibraryError,
  type ContentLibraryClient,
  type DownloadSessionFileInfo,
  type EndpointType,
  type PrepareStatus,
} from './content-library';
import { permanent, sessionGone } from './failures';
import { unsafeNameReason } from './sources/names';
import type { VCenterClients } from './vcenter-clients';

/** One file of a download session as the saga needs it. */
export interface SessionFileStatus {
  name: string;
  status: PrepareStatus;
  size?: number;
  /** The server's reason when `status` is ERROR. */
  errorMessage?: string;
}

/** Runs a call on an existing session, turning NotFound into SessionGone. */
async function onSession<T>(sessionId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isContentLibraryError(err) && err.code === 'NOT_FOUND') throw sessionGone(sessionId);
    throw err;
  }
}

/** How long a prepare call watches its files before leaving the wait to the saga's timers, and how often. */
const PREPARE_SETTLE_MS = 1_000;
const PREPARE_POLL_MS = 50;
/** Statuses on the way to PREPARED (UNPREPARED is not: the saga asks again for those). */
const IN_PROGRESS: ReadonlySet<PrepareStatus> = new Set(['PREPARE_REQUESTED', 'PREPARING']);

function fileStatus(name: string, info: DownloadSessionFileInfo): SessionFileStatus {
  return {
    name,
    status: info.status,
    ...(info.error_message ? { errorMessage: info.error_message.default_message } : {}),
  };
}

async function statusesOf(
  sessionId: string,
  client: ContentLibraryClient,
  names: readonly string[],
): Promise<SessionFileStatus[]> {
  const out: SessionFileStatus[] = [];
  for (const name of names) {
    out.push(
      fileStatus(
        name,
        await onSession(sessionId, async () => client.getDownloadSessionFile(sessionId, name)),
      ),
    );
  }
  return out;
}

/** Throws the permanent UnsafeFileName unless every name is a single safe path segment. */
export function assertSafeFileNames(names: readonly string[], where: string): void {
  const bad = names.flatMap((name) => {
    const why = unsafeNameReason(name);
    return why ? [`${JSON.stringify(name)} (${why})`] : [];
  });
  if (bad.length > 0) {
    throw permanent(
      'UnsafeFileName',
      `${where} names files that cannot be written safely into a directory: ${bad.join(', ')}. ` +
        'Nothing was downloaded; a file name must be a single path segment.',
      { names: bad },
    );
  }
}

export function downloadSessionActivities(vcenters: VCenterClients) {
  return {
    /** Creates the download session; the workflow's `clientToken` makes a retried create return the same one. */
    async createDownloadSession(vcenter: string, itemId: string, clientToken: string): Promise<string> {
      try {
        return await vcenters.get(vcenter).createDownloadSession({ library_item_id: itemId }, clientToken);
      } catch (err) {
        if (isContentLibraryError(err) && err.code === 'NOT_FOUND') {
          throw permanent('ItemNotFound', `library item ${itemId} no longer exists on vCenter "${vcenter}"`);
        }
        throw err;
      }
    },

    /** The session's files (the item as it was when the session was created); refuses unsafe names. */
    async listDownloadSessionFiles(vcenter: string, sessionId: string): Promise<SessionFileStatus[]> {
      const files = await onSession(sessionId, async () =>
        vcenters.get(vcenter).listDownloadSessionFiles(sessionId),
      );
      assertSafeFileNames(
        files.map((f) => f.name),
        `download session ${sessionId}`,
      );
      // vcsim lists a file twice after it was uploaded twice; one entry per name.
      const byName = new Map(files.map((f) => [f.name, f]));
      return [...byName.values()].map((f) => ({
        name: f.name,
        status: f.status,
        ...(f.size !== undefined ? { size: f.size } : {}),
      }));
    },

    /**
     * Asks the server to prepare each file (repeating a prepare is harmless) and returns their
     * statuses, after watching them for up to PREPARE_SETTLE_MS: most prepares finish within
     * a fraction of a second, and a workflow timer that short costs about a second on a Temporal
     * server (its timer queue is not that precise). Longer prepares are left to the saga's timers.
     */
    async prepareDownloadSessionFiles(
      vcenter: string,
      sessionId: string,
      names: string[],
      endpointType: EndpointType,
    ): Promise<SessionFileStatus[]> {
      const client = vcenters.get(vcenter);
      const out = new Map<string, SessionFileStatus>();
      for (const name of names) {
        const info = await onSession(sessionId, async () =>
          client.prepareDownloadSessionFile(sessionId, name, endpointType),
        );
        out.set(name, fileStatus(name, info));
      }
      const deadline = Date.now() + PREPARE_SETTLE_MS;
      for (;;) {
        const pending = [...out.values()].filter((s) => IN_PROGRESS.has(s.status)).map((s) => s.name);
        if (pending.length === 0 || Date.now() >= deadline) break;
        await setTimeout(PREPARE_POLL_MS);
        for (const status of await statusesOf(sessionId, client, pending)) out.set(status.name, status);
      }
      return [...out.values()];
    },

    /** Prepare statuses of the named files, for the saga's wait for PREPARED. */
    async getDownloadSessionFileStatuses(
      vcenter: string,
      sessionId: string,
      names: string[],
    ): Promise<SessionFileStatus[]> {
      return statusesOf(sessionId, vcenters.get(vcenter), names);
    },

    /** Extends the session's life and reports progress (0–100, only ever increasing). */
    async keepAliveDownloadSession(
      vcenter: string,
      sessionId: string,
      clientProgress?: number,
    ): Promise<void> {
      await onSession(sessionId, async () =>
        vcenters.get(vcenter).keepAliveDownloadSession(sessionId, clientProgress),
      );
    },

    /** Compensation: tells the server the client failed. A session already gone or no longer ACTIVE is left as it is. */
    async failDownloadSession(vcenter: string, sessionId: string, message: string): Promise<void> {
      try {
        await vcenters.get(vcenter).failDownloadSession(sessionId, message.slice(0, 1000));
      } catch (err) {
        if (isContentLibraryError(err) && ['NOT_FOUND', 'NOT_ALLOWED_IN_CURRENT_STATE'].includes(err.code))
          return;
        throw err;
      }
    },

    /** Compensation on cancellation: cancels the session, invalidating its download URLs. */
    async cancelDownloadSession(vcenter: string, sessionId: string): Promise<void> {
      try {
        await vcenters.get(vcenter).cancelDownloadSession(sessionId);
      } catch (err) {
        if (isContentLibraryError(err) && ['NOT_FOUND', 'NOT_ALLOWED_IN_CURRENT_STATE'].includes(err.code))
          return;
        throw err;
      }
    },

    /** Deletes the session once it is no longer needed; one already gone counts as deleted. */
    async deleteDownloadSession(vcenter: string, sessionId: string): Promise<void> {
      try {
        await vcenters.get(vcenter).deleteDownloadSession(sessionId);
      } catch (err) {
        if (isContentLibraryError(err) && err.code === 'NOT_FOUND') return;
        throw err;
      }
    },
  };
}
