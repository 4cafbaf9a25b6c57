/**
 * Completing an update session: the checks complete makes (files received, OVF references, preview
 * warnings), applying the changes to the item, and PULLs that finish a completion after it answered.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SimContext } from '../context';
import { fail, message } from '../errors';
import type { LocalizableMessage } from '../errors';
import { startPull } from '../pull';
import { verifyReceived } from '../receive';
import { Blob } from '../state';
import type { UpdateFile, UpdateSession } from '../state';
import { unignoredWarnings } from './preview';
import { validateSession } from './update-view';

export function notActive(rule: Parameters<typeof fail>[1], s: UpdateSession, what: string): never {
  return fail(
    'not_allowed_in_current_state',
    rule,
    `${what} is not allowed: update session ${s.id} is ${s.state}${s.completing ? ' (completing)' : ''}`,
    [s.id, s.state],
  );
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
  if (failOnWarnings(sim, s)) return;
  apply(sim, s);
}

/**
 * PREVIEW_WARNINGS_FAIL_COMPLETE: a preview warning not marked ignored in warning_behavior fails the
 * session (ERROR, content discarded); returns the error message then, else undefined.
 */
function failOnWarnings(sim: SimContext, s: UpdateSession): LocalizableMessage | undefined {
  const warnings = unignoredWarnings(sim, s);
  if (warnings.length === 0) return undefined;
  const types = warnings.map((w) => w.type);
  s.state = 'ERROR';
  s.completing = false;
  s.error_message = message(
    'clsim.PREVIEW_WARNINGS_FAIL_COMPLETE',
    `update session ${s.id} failed at complete: preview warnings not ignored: ${types.join(', ')}; ` +
      'mark each one {type, ignored: true} in warning_behavior (PATCH) before complete',
    types,
  );
  sim.store.discardUpdateContent(s);
  sim.store.touch(s);
  return s.error_message;
}

export function startPullFor(sim: SimContext, s: UpdateSession, file: UpdateFile): void {
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

export function completeUpdateSession(sim: SimContext, id: string): undefined {
  const s = sim.store.getUpdateSession(id);
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
  // PREVIEW_WARNINGS_FAIL_COMPLETE (api-8.0.2 PreviewInfo.warnings): "Any warning which is not ignored by
  // the client will, by default, fail the update session during session complete operation."
  const warned = failOnWarnings(sim, s);
  if (warned)
    fail(
      'not_allowed_in_current_state',
      'PREVIEW_WARNINGS_FAIL_COMPLETE',
      warned.default_message,
      warned.args,
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
