/**
 * Download sessions (com.vmware.content.library.item.DownloadSession) and their files
 * (item.downloadsession.File): snapshot at create, prepare with timed status progression,
 * HTTPS and DIRECT endpoints, cancel/fail that keep the session but invalidate its URLs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { SimContext } from '../context';
import { fail, message } from '../errors';
import { corrupt } from '../faults';
import { Blob } from '../state';
import type { DownloadFile, DownloadSession } from '../state';
import { isoTime, parseBody } from '../wire';
import { checkClientToken } from './token';
import { nextProgress } from './update-session';

const CreateSpec = z.looseObject({ library_item_id: z.string().min(1) });
const PrepareSpec = z.looseObject({
  file_name: z.string(),
  endpoint_type: z.enum(['HTTPS', 'DIRECT']).default('HTTPS'),
});

export function downloadSessionModel(sim: SimContext, s: DownloadSession): unknown {
  return {
    id: s.id,
    library_item_id: s.library_item_id,
    library_item_content_version: s.library_item_content_version,
    client_progress: s.client_progress,
    state: s.state,
    expiration_time: isoTime(sim.store.expiresAt(s)),
    ...(s.error_message ? { error_message: s.error_message } : {}),
  };
}

function newFile(sim: SimContext, s: DownloadSession, name: string, blob: Blob): DownloadFile {
  const f: DownloadFile = {
    name,
    blob: sim.store.acquire(blob),
    status: 'UNPREPARED',
    bytes_transferred: 0,
    served: [],
    complete: false,
    timers: [],
  };
  s.files.set(name, f);
  return f;
}

/** Fault: an extra file with a hostile name, so clients can be tested for path traversal. */
function addHostileFile(sim: SimContext, s: DownloadSession): void {
  const hostile = sim.faults.hostile();
  if (!hostile || s.files.has(hostile.name)) return;
  const dir = path.join(sim.store.opts.dataDir, '.hostile');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, randomUUID());
  fs.writeFileSync(file, hostile.content);
  const sha1 = createHash('sha1').update(hostile.content).digest('hex');
  newFile(sim, s, hostile.name, new Blob(file, Buffer.byteLength(hostile.content), sha1));
}

/** The HTTPS download URL: `<session id>/<file name>` under the data path, as vcsim builds it. */
export function downloadUri(sim: SimContext, s: DownloadSession, name: string): string {
  return `${sim.url}/rest/com/vmware/cis/data/${s.id}/${encodeURIComponent(name)}`;
}

function fileInfo(sim: SimContext, s: DownloadSession, f: DownloadFile): unknown {
  const prepared = f.status === 'PREPARED';
  let endpoint: unknown;
  // DS_ENDPOINT_AFTER_PREPARED (003): "This field won't be set until the file status is PREPARED."
  if (prepared)
    endpoint =
      f.endpoint_type === 'DIRECT'
        ? { uri: pathToFileURL(f.blob.path).href }
        : {
            uri: downloadUri(sim, s, f.name),
            ...(sim.thumbprint ? { ssl_certificate_thumbprint: sim.thumbprint } : {}),
          };
  return {
    name: f.name,
    status: f.status,
    // DS_BYTES_TRANSFERRED (003): "This value may stay at zero till the client starts downloading the file."
    bytes_transferred: f.bytes_transferred,
    ...(prepared || f.complete ? { size: f.blob.size } : {}),
    ...(endpoint ? { download_endpoint: endpoint } : {}),
    // DS_CHECKSUM_AFTER_DOWNLOAD (003): "The checksum is always calculated for the downloaded file, but
    // this field won't be set until the download is complete."
    ...(f.complete
      ? {
          checksum_info: {
            algorithm: 'SHA1',
            checksum: sim.faults.checksumCorrupted(f.name) ? corrupt(f.blob.sha1) : f.blob.sha1,
          },
        }
      : {}),
    ...(f.error_message ? { error_message: f.error_message } : {}),
  };
}

function fileOf(s: DownloadSession, name: string): DownloadFile {
  const f = s.files.get(name);
  // DS_UNKNOWN_FILE (003): "400 | invalid_argument | if there is no file with the specified file_name ."
  if (!f)
    return fail(
      'invalid_argument',
      'DS_UNKNOWN_FILE',
      `there is no file named ${name} in download session ${s.id}`,
      [name],
    );
  return f;
}

function requireActive(
  s: DownloadSession,
  rule: 'DS_KEEP_ALIVE_ACTIVE' | 'DS_CANCEL' | 'DS_FAIL' | 'DS_PREPARE_STATES',
  what: string,
): void {
  if (s.state !== 'ACTIVE')
    fail(
      'not_allowed_in_current_state',
      rule,
      `${what} is not allowed: download session ${s.id} is ${s.state}`,
      [s.id, s.state],
    );
}

export function createDownloadSession(
  sim: SimContext,
  rawSpec: unknown,
  client_token: string | undefined,
): string {
  const { store } = sim;
  const create_spec = parseBody(CreateSpec, rawSpec);
  checkClientToken(client_token);
  const itemId = create_spec.library_item_id;
  const earlier = store.lookupToken('downloadsession', client_token, itemId);
  if (earlier !== undefined && store.downloadSessions.has(earlier)) return earlier;
  const item = store.items.get(itemId);
  // CREATE_ITEM_NOT_FOUND (001): "NotFound if the library item targeted by the download does not exist."
  if (!item)
    return fail('not_found', 'CREATE_ITEM_NOT_FOUND', `library item ${itemId} does not exist`, [itemId]);
  const s: DownloadSession = {
    kind: 'download',
    id: randomUUID(),
    library_item_id: itemId,
    // DS_CONTENT_VERSION (001): "This value is the ... content_version at the time when the session is created for the library item."
    library_item_content_version: String(item.content_version),
    client_progress: 0,
    state: 'ACTIVE',
    lastActivity: store.now(),
    files: new Map(),
    transfers: new Set(),
    clientToken: client_token,
  };
  for (const f of item.files.values()) newFile(sim, s, f.name, f.blob);
  store.downloadSessions.set(s.id, s);
  sim.stats.sessionCreated();
  store.rememberToken('downloadsession', client_token, itemId, s.id);
  return s.id;
}

export function listDownloadSessions(sim: SimContext, itemId: string | null): string[] {
  // LIST_FILTER_NOT_FOUND (001): "NotFound if a library item identifier is given for an item which does not exist."
  if (itemId !== null && !sim.store.items.has(itemId))
    fail('not_found', 'LIST_FILTER_NOT_FOUND', `library item ${itemId} does not exist`, [itemId]);
  return [...sim.store.downloadSessions.values()]
    .filter((s) => itemId === null || s.library_item_id === itemId)
    .map((s) => s.id);
}

export function getDownloadSession(sim: SimContext, id: string): unknown {
  return downloadSessionModel(sim, sim.store.getDownloadSession(id));
}

export function keepAliveDownloadSession(sim: SimContext, id: string, progressValue: unknown): undefined {
  const s = sim.store.getDownloadSession(id);
  // DS_KEEP_ALIVE_ACTIVE (001): "This operation is allowed only if the session is in the DownloadSessionModel.State.ACTIVE state."
  requireActive(s, 'DS_KEEP_ALIVE_ACTIVE', 'keep_alive');
  const progress = nextProgress(progressValue, s.client_progress);
  if (progress !== undefined) s.client_progress = progress;
  sim.store.touch(s);
  return undefined;
}

export function cancelDownloadSession(sim: SimContext, id: string): undefined {
  const s = sim.store.getDownloadSession(id);
  requireActive(s, 'DS_CANCEL', 'cancel');
  // DS_CANCEL (001): "This method will abort any ongoing transfers and invalidate transfer urls that the
  // client may be downloading from." The session stays CANCELED (vcsim deletes it).
  sim.store.stopDownloadActivity(s);
  s.state = 'CANCELED';
  sim.store.touch(s);
  return undefined;
}

export function failDownloadSession(sim: SimContext, id: string, client_error_message: string): undefined {
  const s = sim.store.getDownloadSession(id);
  // DS_FAIL (001): "Terminates the download session with a client specified error message."
  requireActive(s, 'DS_FAIL', 'fail');
  sim.store.stopDownloadActivity(s);
  s.state = 'ERROR';
  s.error_message = message(
    'com.vmware.content.library.item.DownloadSession.client_error',
    client_error_message,
    [client_error_message],
  );
  sim.store.touch(s);
  return undefined;
}

export function deleteDownloadSession(sim: SimContext, id: string): undefined {
  sim.store.endDownloadSession(sim.store.getDownloadSession(id), 'deleted');
  return undefined;
}

export function listDownloadFiles(sim: SimContext, id: string | null): unknown[] {
  if (!id) return fail('invalid_argument', 'GENERAL', 'download_session_id is required');
  const s = sim.store.getDownloadSession(id);
  addHostileFile(sim, s);
  return [...s.files.values()].map((f) => fileInfo(sim, s, f));
}

export function getDownloadFile(sim: SimContext, id: string, file_name: string): unknown {
  const s = sim.store.getDownloadSession(id);
  addHostileFile(sim, s);
  return fileInfo(sim, s, fileOf(s, file_name));
}

/**
 * DS_PREPARE_REQUIRED (000): "the client will have to prepare the file and wait for the file status to
 * become File.PrepareStatus.PREPARED."
 * DS_PREPARE_STATES (003): PREPARE_REQUESTED "the server hasn't started the preparation yet", PREPARING
 * "in the process of being prepared", PREPARED "ready for download", ERROR "Prepare failed."
 */
export function prepareDownloadFile(sim: SimContext, id: string, rawSpec: unknown): unknown {
  const s = sim.store.getDownloadSession(id);
  const { file_name, endpoint_type } = parseBody(PrepareSpec, rawSpec);
  requireActive(s, 'DS_PREPARE_STATES', 'prepare');
  addHostileFile(sim, s);
  const f = fileOf(s, file_name);
  f.endpoint_type = endpoint_type;
  sim.store.touch(s);
  if (f.status === 'UNPREPARED' || f.status === 'ERROR') {
    f.status = 'PREPARE_REQUESTED';
    f.error_message = undefined;
    // The outcome is decided now, so a fault registered after this call does not change it.
    const prepareError = sim.faults.takePrepareError(f.name);
    const delay = sim.prepareDelayMs;
    const toPreparing = setTimeout(
      () => {
        if (f.status === 'PREPARE_REQUESTED') f.status = 'PREPARING';
      },
      Math.floor(delay / 2),
    );
    const toDone = setTimeout(() => {
      f.timers = [];
      if (f.status !== 'PREPARING' && f.status !== 'PREPARE_REQUESTED') return;
      if (prepareError !== undefined) {
        f.status = 'ERROR';
        f.error_message = message('clsim.DS_PREPARE_STATES', prepareError, [f.name]);
      } else f.status = 'PREPARED';
    }, delay);
    toPreparing.unref();
    toDone.unref();
    f.timers = [toPreparing, toDone];
  }
  return fileInfo(sim, s, f);
}
