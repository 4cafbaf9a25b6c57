/**
 * Update sessions (com.vmware.content.library.item.UpdateSession): the documented state machine, one
 * active session per item, client_token idempotency, progress, warning_behavior (api-8.0.2), and
 * changes applied only at complete (update-complete.ts). Operations take the model's own fields; the
 * route files map each flavour's wire format onto them.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SimContext } from '../context';
import { fail, message } from '../errors';
import type { UpdateSession } from '../state';
import { isoTime, parseBody } from '../wire';
import { parseWarningBehavior, previewInfo } from './preview';
import { checkClientToken } from './token';
import { notActive } from './update-complete';

const CreateSpec = z.looseObject({
  library_item_id: z.string().min(1),
  warning_behavior: z.unknown().optional(),
});
const UpdateSpec = z.looseObject({ warning_behavior: z.unknown().optional() });

/**
 * The update session model as get/list return it; preview_info and warning_behavior are the api-8.0.2
 * additions (the /rest wire leaves them out, as the 6.6.1 seeds have neither).
 */
export function updateSessionModel(sim: SimContext, s: UpdateSession): Record<string, unknown> {
  const preview = previewInfo(sim, s);
  return {
    id: s.id,
    library_item_id: s.library_item_id,
    library_item_content_version: s.library_item_content_version,
    client_progress: s.client_progress,
    state: s.state,
    expiration_time: isoTime(sim.store.expiresAt(s)),
    ...(s.error_message ? { error_message: s.error_message } : {}),
    ...(preview ? { preview_info: preview } : {}),
    warning_behavior: s.warning_behavior,
  };
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

export function createUpdateSession(
  sim: SimContext,
  rawSpec: unknown,
  client_token: string | undefined,
): string {
  const { store } = sim;
  const create_spec = parseBody(CreateSpec, rawSpec);
  checkClientToken(client_token);
  // WARNING_BEHAVIOR_SPEC: "This field is optional for the create operation."
  const warningBehavior =
    create_spec.warning_behavior === undefined ? [] : parseWarningBehavior(create_spec.warning_behavior);
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
    warning_behavior: warningBehavior,
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
  sim.stats.sessionCreated();
  store.rememberToken('updatesession', client_token, itemId, s.id);
  return s.id;
}

export function listUpdateSessions(sim: SimContext, itemId: string | null): string[] {
  // LIST_FILTER_NOT_FOUND (001): "NotFound if a library item identifier is given for an item which does not exist."
  if (itemId !== null && !sim.store.items.has(itemId))
    fail('not_found', 'LIST_FILTER_NOT_FOUND', `library item ${itemId} does not exist`, [itemId]);
  return [...sim.store.updateSessions.values()]
    .filter((s) => itemId === null || s.library_item_id === itemId)
    .map((s) => s.id);
}

export function getUpdateSession(sim: SimContext, id: string): unknown {
  return updateSessionModel(sim, sim.store.getUpdateSession(id));
}

export function keepAliveUpdateSession(sim: SimContext, id: string, clientProgress: unknown): undefined {
  const s = sim.store.getUpdateSession(id);
  // US_KEEP_ALIVE_ACTIVE (001): "NotAllowedInCurrentState if the update session is not in the ... ACTIVE state."
  if (s.state !== 'ACTIVE') notActive('US_KEEP_ALIVE_ACTIVE', s, 'keep_alive');
  const progress = nextProgress(clientProgress, s.client_progress);
  if (progress !== undefined) s.client_progress = progress;
  // US_EXPIRY (001): "Invoking this method enables a client to specifically extend the lifetime of the update session."
  sim.store.touch(s);
  return undefined;
}

export function cancelUpdateSession(sim: SimContext, id: string): undefined {
  const s = sim.store.getUpdateSession(id);
  // US_CANCEL_ACTIVE (001): "This method is not allowed if the session has been already completed."
  if (s.state !== 'ACTIVE') notActive('US_CANCEL_ACTIVE', s, 'cancel');
  // US_CANCEL_DISCARDS (001): "Cancelling an update session will cancel any in progress transfers (either
  // uploaded by the client or pulled by the server). Any content that has been already received will be
  // scheduled for deletion." Decision: deleted now; the record stays CANCELED until deleted or expired.
  sim.store.discardUpdateContent(s);
  s.state = 'CANCELED';
  s.completing = false;
  sim.store.touch(s);
  return undefined;
}

export function failUpdateSession(sim: SimContext, id: string, client_error_message: string): undefined {
  const s = sim.store.getUpdateSession(id);
  // US_FAIL_ACTIVE (001): fail ... "NotAllowedInCurrentState if the update session is not in the ... ACTIVE state."
  if (s.state !== 'ACTIVE') notActive('US_FAIL_ACTIVE', s, 'fail');
  // US_FAIL_ERROR (001): "Terminates the update session with a client specified error message."
  sim.store.discardUpdateContent(s);
  s.state = 'ERROR';
  s.completing = false;
  s.error_message = message(
    'com.vmware.content.library.item.UpdateSession.client_error',
    client_error_message,
    [client_error_message],
  );
  sim.store.touch(s);
  return undefined;
}

export function deleteUpdateSession(sim: SimContext, id: string): undefined {
  const s = sim.store.getUpdateSession(id);
  // US_DELETE_NOT_ACTIVE (001): "NotAllowedInCurrentState if the update session is in the ... ACTIVE state."
  if (s.state === 'ACTIVE')
    fail(
      'not_allowed_in_current_state',
      'US_DELETE_NOT_ACTIVE',
      `update session ${s.id} is ACTIVE; complete, cancel or fail it before deleting`,
      [s.id],
    );
  sim.store.endUpdateSession(s, 'deleted');
  return undefined;
}

/**
 * update (PATCH, api-8.0.2): "This operation will only update the property
 * UpdateSessionModel.warning-behavior ... This operation requires the session to be in the ACTIVE
 * state." WARNING_BEHAVIOR_UPDATE: an unset warning_behavior changes nothing ("Any field ... that is
 * unset will not be modified"); a set one replaces the list.
 */
export function updateUpdateSession(sim: SimContext, id: string, rawSpec: unknown): undefined {
  const s = sim.store.getUpdateSession(id);
  const spec = parseBody(UpdateSpec, rawSpec ?? {}, 'WARNING_BEHAVIOR_SPEC');
  if (s.state !== 'ACTIVE' || s.completing) notActive('WARNING_BEHAVIOR_UPDATE', s, 'update');
  if (spec.warning_behavior !== undefined) s.warning_behavior = parseWarningBehavior(spec.warning_behavior);
  sim.store.touch(s);
  return undefined;
}
