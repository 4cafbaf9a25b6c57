/**
 * Update sessions (com.vmware.content.library.item.UpdateSession) and their files
 * (item.updatesession.File): the documented state machine, one active session per item,
 * client_token idempotency, progress, validation, and changes applied only at complete.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RequestContext, Route, SimContext } from '../context';
import { pathPattern } from '../context';
import { fail, message } from '../errors';
import type { LocalizableMessage } from '../errors';
import { ovfReferencesOfFile } from '../ovf';
import { startPull } from '../pull';
import { verifyReceived } from '../receive';
import { Blob } from '../state';
import type { UpdateFile, UpdateSession } from '../state';
import { isUuid, isoTime, parseBody } from '../wire';
import { reportedChecksum } from './item';

const CreateSession = z.object({
  client_token: z.string().optional(),
  create_spec: z.looseObject({ library_item_id: z.string().min(1) }),
});
const KeepAlive = z.looseObject({
  client_progress: z.unknown().optional(),
  progress: z.unknown().optional(),
});
const Fail = z.looseObject({ client_error_message: z.string() });
const FileNameBody = z.looseObject({ file_name: z.string() });
const AddFile = z.object({
  file_spec: z.looseObject({
    name: z.string(),
    source_type: z.enum(['PUSH', 'PULL']),
    size: z.number().int().nonnegative().optional(),
    checksum_info: z
      .looseObject({ algorithm: z.enum(['SHA1', 'MD5']).optional(), checksum: z.string() })
      .optional(),
    source_endpoint: z
      .looseObject({ uri: z.string(), ssl_certificate_thumbprint: z.string().optional() })
      .optional(),
  }),
});

// ---- shared helpers -------------------------------------------------------------------------

/** The update session model as get/list return it. */
export function updateSessionModel(sim: SimContext, s: UpdateSession): unknown {
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

function notActive(rule: Parameters<typeof fail>[1], s: UpdateSession, what: string): never {
  return fail(
    'not_allowed_in_current_state',
    rule,
    `${what} is not allowed: update session ${s.id} is ${s.state}${s.completing ? ' (completing)' : ''}`,
    [s.id, s.state],
  );
}

/** Validates and applies a keep-alive progress value (shared with download sessions). */
export function nextProgress(raw: unknown, current: number): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  // PROGRESS_RANGE (001): "The initial progress is 0 until updated by the client. The maximum value is 100"
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 100)
    fail(
      'invalid_argument',
      'PROGRESS_RANGE',
      `client_progress must be an integer from 0 to 100, got ${JSON.stringify(raw)}`,
    );
  // PROGRESS_MONOTONIC (001): "If specified, the new progress should be greater then the current progress."
  // Decision: equal is not greater, so it is refused too.
  if (raw <= current)
    fail(
      'invalid_argument',
      'PROGRESS_MONOTONIC',
      `client_progress ${raw} is not greater than the current progress ${current}`,
      [String(raw), String(current)],
    );
  return raw;
}

function uploadUri(sim: SimContext, file: UpdateFile): string {
  return `${sim.url}/rest/com/vmware/cis/data/${file.transferId}/${encodeURIComponent(file.name)}`;
}

function addedFileInfo(sim: SimContext, f: UpdateFile): unknown {
  return {
    name: f.name,
    source_type: f.source_type,
    status: f.status,
    bytes_transferred: f.bytes_transferred,
    ...(f.size !== undefined ? { size: f.size } : f.received ? { size: f.received.size } : {}),
    ...(f.checksum_info ? { checksum_info: f.checksum_info } : {}),
    ...(f.source_endpoint ? { source_endpoint: f.source_endpoint } : {}),
    ...(f.source_type === 'PUSH'
      ? {
          upload_endpoint: {
            uri: uploadUri(sim, f),
            ...(sim.thumbprint ? { ssl_certificate_thumbprint: sim.thumbprint } : {}),
          },
        }
      : {}),
    ...(f.error_message ? { error_message: f.error_message } : {}),
  };
}

/**
 * SESSION_FILE_VIEW (000): "Lists all files in the library item associated with the update session.
 * ... This list may be empty if the caller has removed all the files as part of this session".
 * Item files the session has not touched show as source_type NONE ("No source type has been requested").
 */
function sessionView(sim: SimContext, s: UpdateSession): Map<string, unknown> {
  const view = new Map<string, unknown>();
  for (const f of s.snapshot.values()) {
    if (s.removed.has(f.name) || s.added.has(f.name)) continue;
    view.set(f.name, {
      name: f.name,
      source_type: 'NONE',
      status: 'READY',
      bytes_transferred: 0,
      size: f.size,
      checksum_info: reportedChecksum(sim, f.name, f.sha1),
    });
  }
  for (const f of s.added.values()) view.set(f.name, addedFileInfo(sim, f));
  return view;
}

interface Validation {
  missing: string[];
  invalid: Array<{ name: string; error_message: LocalizableMessage }>;
}

/**
 * VALIDATE_MISSING (000): "In the case where a file is missing, this method will return its name in
 * the File.ValidationResult.missing_files set."
 * VALIDATE_INVALID (000): "For other type of errors, File.ValidationResult.invalid_files will contain
 * the list of invalid files."
 */
function validateSession(sim: SimContext, s: UpdateSession): Validation {
  const missing = new Set<string>();
  const invalid: Validation['invalid'] = [];
  for (const f of s.added.values()) {
    if (f.status === 'ERROR')
      invalid.push({
        name: f.name,
        error_message: f.error_message ?? message('clsim.VALIDATE_INVALID', `${f.name} failed`),
      });
    else if (f.status !== 'READY') missing.add(f.name);
  }
  // The "type adapter" of an ovf item: files its descriptor references must be in the session view.
  const item = sim.store.items.get(s.library_item_id);
  if (item && item.type.toLowerCase() === 'ovf') {
    const names = new Set<string>([...s.snapshot.keys()].filter((n) => !s.removed.has(n)));
    for (const n of s.added.keys()) names.add(n);
    const descriptors: string[] = [];
    for (const f of s.added.values())
      if (/\.ovf$/i.test(f.name) && f.status === 'READY') descriptors.push(f.tempPath);
    for (const f of s.snapshot.values())
      if (/\.ovf$/i.test(f.name) && !s.removed.has(f.name) && !s.added.has(f.name))
        descriptors.push(f.blob.path);
    for (const d of descriptors)
      for (const ref of ovfReferencesOfFile(d)) if (!names.has(ref)) missing.add(ref);
  }
  return { missing: [...missing], invalid };
}

/** Applies a session's changes to its item: the only place item files and content_version change. */
function apply(sim: SimContext, s: UpdateSession): void {
  const { store } = sim;
  const item = store.items.get(s.library_item_id);
  if (!item) {
    s.state = 'ERROR';
    s.error_message = message('clsim.GENERAL', `library item ${s.library_item_id} no longer exists`, [
      s.library_item_id,
    ]);
    store.discardUpdateContent(s);
    return;
  }
  // FILE_REMOVE_AT_COMPLETE (000): "The file will only be effectively removed when the update session is completed."
  for (const name of s.removed) {
    const old = item.files.get(name);
    if (old) store.release(old.blob);
    item.files.delete(name);
  }
  for (const f of s.added.values()) {
    if (f.status !== 'READY' || !f.received) continue;
    const dest = store.newBlobPath(item, f.name);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(f.tempPath, dest);
    const old = item.files.get(f.name);
    // FILE_VERSION_BUMP (001): "The version of this file; incremented when a new copy of the file is uploaded."
    item.files.set(f.name, {
      name: f.name,
      blob: store.acquire(new Blob(dest, f.received.size, f.received.sha1)),
      version: old ? old.version + 1 : 1,
    });
    if (old) store.release(old.blob);
  }
  // US_VISIBLE_AFTER_COMPLETE (001): "Modifications are not visible to other clients unless the session
  // is completed and all necessary files have been received." Decision: every complete is a new version.
  item.content_version++;
  item.last_modified_time = store.now();
  s.state = 'DONE';
  s.completing = false;
  store.touch(s);
}

/** After a PULL settles: finish a completion that was waiting for it. */
function afterPull(sim: SimContext, s: UpdateSession): void {
  if (!s.completing || s.state !== 'ACTIVE') return;
  const pulls = [...s.added.values()].filter((f) => f.source_type === 'PULL');
  if (pulls.some((f) => f.status === 'TRANSFERRING')) return;
  const failed = [...s.added.values()].find((f) => f.status === 'ERROR');
  const { missing } = validateSession(sim, s);
  if (failed || missing.length > 0) {
    s.state = 'ERROR';
    s.completing = false;
    s.error_message =
      failed?.error_message ??
      message(
        'clsim.US_COMPLETE_FILES_RECEIVED',
        `files missing at completion: ${missing.join(', ')}`,
        missing,
      );
    sim.store.discardUpdateContent(s);
    sim.store.touch(s);
    return;
  }
  apply(sim, s);
}

function startPullFor(sim: SimContext, s: UpdateSession, file: UpdateFile): void {
  const source = file.source_endpoint;
  if (!source) return;
  const handle = startPull({
    source,
    dest: file.tempPath,
    algorithm: file.checksum_info?.algorithm,
    onBytes: (n) => {
      if (file.discarded) return;
      file.bytes_transferred += n;
      sim.stats.addReceived(s.id, n);
      // US_EXPIRY: bytes pulled by the server are activity on the session.
      sim.store.touch(s);
    },
  });
  file.abort = () => handle.abort();
  handle.done.then(
    (r) => {
      if (file.discarded) return;
      file.abort = undefined;
      const err = verifyReceived(file, r.size, r.digests);
      if (err) {
        file.status = 'ERROR';
        file.error_message = err;
        fs.rmSync(file.tempPath, { force: true });
      } else {
        file.status = 'READY';
        file.received = { size: r.size, sha1: r.digests.sha1 };
      }
      sim.store.touch(s);
      afterPull(sim, s);
    },
    (e: unknown) => {
      if (file.discarded) {
        fs.rmSync(file.tempPath, { force: true });
        return;
      }
      file.abort = undefined;
      file.status = 'ERROR';
      file.error_message = message(
        'clsim.TRANSFER_STATUS',
        `pull of ${source.uri} failed: ${e instanceof Error ? e.message : String(e)}`,
        [source.uri],
      );
      fs.rmSync(file.tempPath, { force: true });
      afterPull(sim, s);
    },
  );
}

// ---- update session ---------------------------------------------------------------------------

async function create(ctx: RequestContext): Promise<unknown> {
  const { store } = ctx.sim;
  const { client_token, create_spec } = parseBody(CreateSession, await ctx.body());
  // CLIENT_TOKEN_UUID (001): "InvalidArgument if the client_token does not conform to the UUID format."
  if (client_token !== undefined && !isUuid(client_token))
    fail('invalid_argument', 'CLIENT_TOKEN_UUID', `client_token ${client_token} is not a UUID`, [
      client_token,
    ]);
  const itemId = create_spec.library_item_id;
  // CLIENT_TOKEN_IDEMPOTENT (001): "This token can be used to guarantee idempotent creation."
  const earlier = store.lookupToken('updatesession', client_token, itemId);
  if (earlier !== undefined && store.updateSessions.has(earlier)) return earlier;
  const item = store.items.get(itemId);
  // CREATE_ITEM_NOT_FOUND (001): "NotFound if the item targeted for update does not exist."
  if (!item)
    return fail('not_found', 'CREATE_ITEM_NOT_FOUND', `library item ${itemId} does not exist`, [itemId]);
  // US_ONE_ACTIVE_PER_ITEM (001): "Content Library Service allows only one single update session to be
  // active for a specific library item." / "ResourceBusy if there is another update session on the same library item."
  for (const other of store.updateSessions.values())
    if (other.library_item_id === itemId && other.state === 'ACTIVE')
      fail(
        'resource_busy',
        'US_ONE_ACTIVE_PER_ITEM',
        `library item ${itemId} already has an active update session ${other.id}`,
        [itemId, other.id],
      );
  const s: UpdateSession = {
    kind: 'update',
    id: randomUUID(),
    library_item_id: itemId,
    library_item_content_version: String(item.content_version),
    client_progress: 0,
    state: 'ACTIVE',
    lastActivity: store.now(),
    snapshot: new Map(),
    added: new Map(),
    removed: new Set(),
    completing: false,
    clientToken: client_token,
  };
  for (const f of item.files.values())
    s.snapshot.set(f.name, {
      name: f.name,
      size: f.blob.size,
      sha1: f.blob.sha1,
      version: f.version,
      blob: store.acquire(f.blob),
    });
  store.updateSessions.set(s.id, s);
  store.rememberToken('updatesession', client_token, itemId, s.id);
  return s.id;
}

function list(ctx: RequestContext): unknown {
  const itemId = ctx.query.get('library_item_id');
  // LIST_FILTER_NOT_FOUND (001): "NotFound if a library item identifier is given for an item which does not exist."
  if (itemId !== null && !ctx.sim.store.items.has(itemId))
    fail('not_found', 'LIST_FILTER_NOT_FOUND', `library item ${itemId} does not exist`, [itemId]);
  return [...ctx.sim.store.updateSessions.values()]
    .filter((s) => itemId === null || s.library_item_id === itemId)
    .map((s) => s.id);
}

function get(ctx: RequestContext): unknown {
  return updateSessionModel(ctx.sim, ctx.sim.store.getUpdateSession(ctx.params[0] ?? ''));
}

async function keepAlive(ctx: RequestContext): Promise<undefined> {
  const s = ctx.sim.store.getUpdateSession(ctx.params[0] ?? '');
  const body = parseBody(KeepAlive, await ctx.body());
  // US_KEEP_ALIVE_ACTIVE (001): "NotAllowedInCurrentState if the update session is not in the ... ACTIVE state."
  if (s.state !== 'ACTIVE') notActive('US_KEEP_ALIVE_ACTIVE', s, 'keep_alive');
  const progress = nextProgress(body.client_progress ?? body.progress, s.client_progress);
  if (progress !== undefined) s.client_progress = progress;
  // US_EXPIRY (001): "Invoking this method enables a client to specifically extend the lifetime of the update session."
  ctx.sim.store.touch(s);
  return undefined;
}

function complete(ctx: RequestContext): undefined {
  const { sim } = ctx;
  const s = sim.store.getUpdateSession(ctx.params[0] ?? '');
  // US_COMPLETE_ACTIVE (001): "This method requires the session to be in the UpdateSessionModel.State.ACTIVE state."
  if (s.state !== 'ACTIVE' || s.completing) notActive('US_COMPLETE_ACTIVE', s, 'complete');
  // US_COMPLETE_FILES_RECEIVED (001): "NotAllowedInCurrentState if ... some of the files that will be
  // uploaded by the client aren’t received correctly."
  const pending = [...s.added.values()]
    .filter((f) => f.source_type === 'PULL' && f.status === 'TRANSFERRING')
    .map((f) => f.name);
  const notReceived = [...s.added.values()]
    .filter((f) => f.source_type === 'PUSH' && f.status !== 'READY' && f.status !== 'ERROR')
    .map((f) => f.name);
  const { missing, invalid } = validateSession(sim, s);
  const referencedMissing = missing.filter((n) => !pending.includes(n) && !notReceived.includes(n));
  const problems = [
    ...notReceived.map((n) => `${n} not received`),
    ...invalid.map((f) => `${f.name} invalid (${f.error_message.default_message})`),
    ...referencedMissing.map((n) => `${n} missing`),
  ];
  if (problems.length > 0)
    fail(
      'not_allowed_in_current_state',
      'US_COMPLETE_FILES_RECEIVED',
      `cannot complete update session ${s.id}: ${problems.join('; ')}`,
      [...notReceived, ...invalid.map((f) => f.name), ...referencedMissing],
    );
  sim.store.touch(s);
  // US_COMPLETE_PUSH_SYNC (001): "If the client is pushing the content to the server, the library item will
  // be updated once this call returns. If the server is pulling the content, the call may return before the
  // changes become visible."
  if (pending.length > 0) {
    s.completing = true;
    return undefined;
  }
  apply(sim, s);
  return undefined;
}

function cancel(ctx: RequestContext): undefined {
  const s = ctx.sim.store.getUpdateSession(ctx.params[0] ?? '');
  // US_CANCEL_ACTIVE (001): "This method is not allowed if the session has been already completed."
  if (s.state !== 'ACTIVE') notActive('US_CANCEL_ACTIVE', s, 'cancel');
  // US_CANCEL_DISCARDS (001): "Cancelling an update session will cancel any in progress transfers (either
  // uploaded by the client or pulled by the server). Any content that has been already received will be
  // scheduled for deletion." Decision: deleted now; the record stays CANCELED until deleted or expired.
  ctx.sim.store.discardUpdateContent(s);
  s.state = 'CANCELED';
  s.completing = false;
  ctx.sim.store.touch(s);
  return undefined;
}

async function failSession(ctx: RequestContext): Promise<undefined> {
  const s = ctx.sim.store.getUpdateSession(ctx.params[0] ?? '');
  const { client_error_message } = parseBody(Fail, await ctx.body());
  // US_FAIL_ACTIVE (001): fail ... "NotAllowedInCurrentState if the update session is not in the ... ACTIVE state."
  if (s.state !== 'ACTIVE') notActive('US_FAIL_ACTIVE', s, 'fail');
  // US_FAIL_ERROR (001): "Terminates the update session with a client specified error message."
  ctx.sim.store.discardUpdateContent(s);
  s.state = 'ERROR';
  s.completing = false;
  s.error_message = message(
    'com.vmware.content.library.item.UpdateSession.client_error',
    client_error_message,
    [client_error_message],
  );
  ctx.sim.store.touch(s);
  return undefined;
}

function remove(ctx: RequestContext): undefined {
  const s = ctx.sim.store.getUpdateSession(ctx.params[0] ?? '');
  // US_DELETE_NOT_ACTIVE (001): "NotAllowedInCurrentState if the update session is in the ... ACTIVE state."
  if (s.state === 'ACTIVE')
    fail(
      'not_allowed_in_current_state',
      'US_DELETE_NOT_ACTIVE',
      `update session ${s.id} is ACTIVE; complete, cancel or fail it before deleting`,
      [s.id],
    );
  ctx.sim.store.endUpdateSession(s, 'deleted');
  return undefined;
}

// ---- update session files -----------------------------------------------------------------------

/** Session for a file operation that changes it: ACTIVE and not already completing. */
function changeableSession(ctx: RequestContext, what: string): UpdateSession {
  const s = ctx.sim.store.getUpdateSession(ctx.params[0] ?? '');
  // FILE_ADD_ACTIVE (001): "Files may be uploaded by the client or pulled by the Content Library Service at this stage."
  if (s.state !== 'ACTIVE' || s.completing) notActive('FILE_ADD_ACTIVE', s, what);
  return s;
}

/** FILE_NAME_NONEMPTY (001): "It cannot be an empty string." Path-like names are refused too (FILE_SPEC_INVALID). */
function checkFileName(name: string): void {
  if (name === '') fail('invalid_argument', 'FILE_NAME_NONEMPTY', 'file name cannot be an empty string');
  if (/[/\\\0]/.test(name) || name === '.' || name === '..')
    fail(
      'invalid_argument',
      'FILE_SPEC_INVALID',
      `file name ${JSON.stringify(name)} is not a plain file name`,
      [name],
    );
}

const HEX_LENGTH = { SHA1: 40, MD5: 32 } as const;

async function addFile(ctx: RequestContext): Promise<unknown> {
  const { sim } = ctx;
  const s = changeableSession(ctx, 'file add');
  // FILE_SPEC_INVALID (000): "InvalidArgument if the file_spec is invalid."
  const { file_spec: spec } = parseBody(AddFile, await ctx.body(), 'FILE_SPEC_INVALID');
  checkFileName(spec.name);
  let checksum: UpdateFile['checksum_info'];
  if (spec.checksum_info) {
    const algorithm = spec.checksum_info.algorithm ?? 'SHA1';
    if (!new RegExp(`^[0-9a-fA-F]{${HEX_LENGTH[algorithm]}}$`).test(spec.checksum_info.checksum))
      fail(
        'invalid_argument',
        'FILE_SPEC_INVALID',
        `checksum_info.checksum is not a ${algorithm} hex digest`,
        [spec.checksum_info.checksum],
      );
    checksum = { algorithm, checksum: spec.checksum_info.checksum };
  }
  if (spec.source_type === 'PULL') {
    const uri = spec.source_endpoint?.uri;
    if (!uri) return fail('invalid_argument', 'FILE_SPEC_INVALID', 'a PULL file needs source_endpoint.uri');
    let scheme: string;
    try {
      scheme = new URL(uri).protocol;
    } catch {
      return fail('invalid_argument', 'FILE_SPEC_INVALID', `source_endpoint.uri ${uri} is not a URI`, [uri]);
    }
    if (!['http:', 'https:', 'file:'].includes(scheme))
      fail(
        'invalid_argument',
        'FILE_SPEC_INVALID',
        `source_endpoint.uri scheme ${scheme} is not supported by the simulator (http, https, file)`,
        [uri],
      );
  }
  // FILE_ADD_REPLACES (000): "If a file with the same name already exists in this session, this method will
  // be used to update the content of the existing file."
  const previous = s.added.get(spec.name);
  if (previous) {
    sim.store.discardUpdateFile(previous);
    sim.store.transfers.delete(previous.transferId);
  }
  s.removed.delete(spec.name);
  const transferId = randomUUID();
  const file: UpdateFile = {
    name: spec.name,
    source_type: spec.source_type,
    size: spec.size,
    checksum_info: checksum,
    source_endpoint:
      spec.source_type === 'PULL' && spec.source_endpoint
        ? {
            uri: spec.source_endpoint.uri,
            ...(spec.source_endpoint.ssl_certificate_thumbprint
              ? { ssl_certificate_thumbprint: spec.source_endpoint.ssl_certificate_thumbprint }
              : {}),
          }
        : undefined,
    transferId,
    tempPath: path.join(sim.store.uploadDir(), transferId),
    // TRANSFER_STATUS (001): WAITING_FOR_TRANSFER "Indicates that a file has been defined for a library item
    // and its content needs to be uploaded."; a PULL is transferring from the start.
    status: spec.source_type === 'PUSH' ? 'WAITING_FOR_TRANSFER' : 'TRANSFERRING',
    bytes_transferred: 0,
    discarded: false,
  };
  s.added.set(file.name, file);
  sim.store.transfers.set(transferId, { kind: 'upload', session: s, file });
  sim.store.touch(s);
  if (file.source_type === 'PULL') startPullFor(sim, s, file);
  return addedFileInfo(sim, file);
}

async function getFile(ctx: RequestContext): Promise<unknown> {
  const s = ctx.sim.store.getUpdateSession(ctx.params[0] ?? '');
  const { file_name } = parseBody(FileNameBody, await ctx.body());
  const info = sessionView(ctx.sim, s).get(file_name);
  // FILE_NOT_IN_SESSION (000): "InvalidArgument if the file doesn’t exist in the library item associated with the update session."
  if (info === undefined)
    fail(
      'invalid_argument',
      'FILE_NOT_IN_SESSION',
      `file ${file_name} is not part of update session ${s.id}`,
      [file_name],
    );
  return info;
}

function listFiles(ctx: RequestContext): unknown {
  const id = ctx.query.get('update_session_id');
  if (!id) return fail('invalid_argument', 'GENERAL', 'update_session_id is required');
  return [...sessionView(ctx.sim, ctx.sim.store.getUpdateSession(id)).values()];
}

async function removeFile(ctx: RequestContext): Promise<undefined> {
  const s = changeableSession(ctx, 'file remove');
  const { file_name } = parseBody(FileNameBody, await ctx.body());
  const added = s.added.get(file_name);
  const inSnapshot = s.snapshot.has(file_name) && !s.removed.has(file_name);
  // FILE_NOT_IN_SESSION (000): "InvalidArgument if the file doesn’t exist in the library item associated with the update session."
  if (!added && !inSnapshot)
    fail(
      'invalid_argument',
      'FILE_NOT_IN_SESSION',
      `file ${file_name} is not part of update session ${s.id}`,
      [file_name],
    );
  if (added) {
    ctx.sim.store.discardUpdateFile(added);
    ctx.sim.store.transfers.delete(added.transferId);
    s.added.delete(file_name);
  }
  // FILE_REMOVE_AT_COMPLETE (000): "The file will only be effectively removed when the update session is completed."
  if (s.snapshot.has(file_name)) s.removed.add(file_name);
  ctx.sim.store.touch(s);
  return undefined;
}

function validate(ctx: RequestContext): unknown {
  const s = ctx.sim.store.getUpdateSession(ctx.params[0] ?? '');
  // VALIDATE_ACTIVE (000): "NotAllowedInCurrentState if the update session is not in the ... ACTIVE state"
  if (s.state !== 'ACTIVE') notActive('VALIDATE_ACTIVE', s, 'validate');
  ctx.sim.store.touch(s);
  const { missing, invalid } = validateSession(ctx.sim, s);
  return {
    has_errors: missing.length > 0 || invalid.length > 0,
    missing_files: missing,
    invalid_files: invalid,
  };
}

const root = pathPattern('/content/library/item/update-session');
const byId = pathPattern('/content/library/item/update-session/{id}');
const files = pathPattern('/content/library/item/updatesession/file');
const filesById = pathPattern('/content/library/item/updatesession/file/{id}');

export const updateSessionRoutes: Route[] = [
  { method: 'POST', path: root, action: null, op: 'updatesession.create', handler: create },
  { method: 'GET', path: root, action: null, op: 'updatesession.list', handler: list },
  { method: 'GET', path: byId, action: null, op: 'updatesession.get', handler: get },
  { method: 'POST', path: byId, action: 'keep-alive', op: 'updatesession.keep-alive', handler: keepAlive },
  { method: 'POST', path: byId, action: 'complete', op: 'updatesession.complete', handler: complete },
  { method: 'POST', path: byId, action: 'cancel', op: 'updatesession.cancel', handler: cancel },
  { method: 'POST', path: byId, action: 'fail', op: 'updatesession.fail', handler: failSession },
  { method: 'DELETE', path: byId, action: null, op: 'updatesession.delete', handler: remove },
  { method: 'POST', path: filesById, action: 'add', op: 'updatesession.file.add', handler: addFile },
  { method: 'POST', path: filesById, action: 'get', op: 'updatesession.file.get', handler: getFile },
  { method: 'GET', path: files, action: null, op: 'updatesession.file.list', handler: listFiles },
  { method: 'POST', path: filesById, action: 'remove', op: 'updatesession.file.remove', handler: removeFile },
  {
    method: 'POST',
    path: filesById,
    action: 'validate',
    op: 'updatesession.file.validate',
    handler: validate,
  },
];
