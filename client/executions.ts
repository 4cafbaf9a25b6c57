/**
 * The typed API for looking at and stopping clo's workflows, for `clo status`, `clo list`,
 * `clo cancel` and platform services: progress of one transfer (query + live heartbeat
 * bytes, throughput and ETA), recent and running workflows through visibility, cancel.
 */
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
} from '@temporalio/client';
import { ITEM_ID, LIBRARY_ID, PHASE, SESSION_ID, VCENTER } from '../workflows/definitions/search-attributes';
import { syncProgressQuery, type SyncProgress } from '../workflows/definitions/sync';
import { progressQuery, UploadProgress, type FileProgress } from '../workflows/definitions/upload';
import type { ApprovalState } from '../workflows/definitions/approval';
import { ConflictError, InvalidInputError, NotFoundError } from './errors';
import { STATES, WORKFLOW_TYPES, type WorkflowKind, type WorkflowState } from './workflow-kinds';

// Defined apart so that `clo list --help` shows them without loading the Temporal client.
export { STATES, WORKFLOW_TYPES, type WorkflowKind, type WorkflowState };

/** One file of a transfer, with the bytes its running activity last reported. */
export interface FileStatus extends FileProgress {
  /** Bytes done now: the size once done, else the live heartbeat bytes, else the workflow's count. */
  bytesDone: number;
}

/** Where one workflow stands: status and search attributes always, transfer detail while a transfer runs. */
export interface WorkflowProgress {
  workflowId: string;
  runId: string;
  type: string;
  /** Temporal execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, ... */
  status: string;
  startTime: string;
  closeTime?: string;
  phase?: string;
  vcenter?: string;
  libraryId?: string;
  itemId?: string;
  /** Every session the saga has used, oldest first. */
  sessionIds: string[];
  /** The session in use, from the progress query. */
  sessionId?: string;
  files?: FileStatus[];
  totalBytes?: number;
  bytesDone?: number;
  /** Bytes per second: measured over `sampleMs` when given, else the average since the workflow started. */
  throughput?: number;
  throughputBasis?: 'sample' | 'average';
  /** Seconds left at the current throughput. */
  etaSeconds?: number;
  /** For a running library sync: its `syncProgress` query (phase, counts, items so far). */
  sync?: SyncProgress;
  /** For an upload of a signed OVF/OVA: the certificate, vCenter's warnings and the decisions (workflows/lib/approval.ts). */
  approval?: ApprovalState;
}

/** Options for {@link getProgress}. */
export interface GetProgressOptions {
  /** Wait up to this long for a newer heartbeat, to measure the current throughput. @default 0 (average since start) */
  sampleMs?: number;
  /** Give up on the progress query after this long (a workflow no worker is polling never answers). @default 5000 */
  queryTimeoutMs?: number;
}

/** Describes a workflow; WorkflowNotFoundError becomes NotFoundError with one clear line. */
export async function describeWorkflow(
  client: Client,
  workflowId: string,
): Promise<{ handle: WorkflowHandle; info: WorkflowExecutionDescription }> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    return { handle, info: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no workflow with id ${workflowId}`);
    throw err;
  }
}

function attributes(
  info: Pick<WorkflowExecutionInfo, 'typedSearchAttributes'>,
): Pick<WorkflowProgress, 'phase' | 'vcenter' | 'libraryId' | 'itemId' | 'sessionIds'> {
  const sa = info.typedSearchAttributes;
  const phase = sa.get(PHASE);
  const vcenter = sa.get(VCENTER);
  const libraryId = sa.get(LIBRARY_ID);
  const itemId = sa.get(ITEM_ID);
  return {
    ...(phase ? { phase } : {}),
    ...(vcenter ? { vcenter } : {}),
    ...(libraryId ? { libraryId } : {}),
    ...(itemId ? { itemId } : {}),
    sessionIds: sa.get(SESSION_ID) ?? [],
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Live bytes per file from the pending transfer activities' last heartbeat, with when it was sent. */
async function liveTransfers(
  client: Client,
  handle: WorkflowHandle,
): Promise<Map<string, { bytes: number; at?: number }>> {
  const live = new Map<string, { bytes: number; at?: number }>();
  const { raw } = await handle.describe();
  for (const pending of raw.pendingActivities ?? []) {
    const payload = pending.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const detail = client.options.loadedDataConverter.payloadConverter.fromPayload<
      { name?: unknown; bytesSent?: unknown } | undefined
    >(payload);
    if (typeof detail?.name !== 'string' || typeof detail.bytesSent !== 'number') continue;
    const seconds = pending.lastHeartbeatTime?.seconds;
    const at =
      seconds != null
        ? Number(seconds) * 1000 + Math.floor((pending.lastHeartbeatTime?.nanos ?? 0) / 1e6)
        : undefined;
    live.set(detail.name, { bytes: detail.bytesSent, ...(at !== undefined ? { at } : {}) });
  }
  return live;
}

/** One look at a running transfer: the progress query plus the live bytes of its pending activities. */
async function sampleTransfer(client: Client, handle: WorkflowHandle, timeoutMs: number) {
  const query = handle.query(progressQuery).catch(() => undefined);
  const parsed = UploadProgress.safeParse(await withTimeout(query, timeoutMs));
  if (!parsed.success) return undefined;
  const progress = parsed.data;
  const live = await liveTransfers(client, handle).catch(
    () => new Map<string, { bytes: number; at?: number }>(),
  );
  const files: FileStatus[] = progress.files.map((f) => ({
    ...f,
    bytesDone:
      f.state === 'done' || f.state === 'skipped'
        ? f.size
        : Math.max(live.get(f.name)?.bytes ?? 0, f.bytesSent),
  }));
  // The newest heartbeat dates the sample: bytes and time then come from the same moment.
  const beats = [...live.values()].map((l) => l.at ?? 0);
  return {
    progress,
    files,
    bytesDone: files.reduce((n, f) => n + f.bytesDone, 0),
    at: beats.length ? Math.max(...beats) : Date.now(),
  };
}

/**
 * Where a workflow stands. For a running upload or download: phase, session, per-file bytes
 * (the `progress` query, with live bytes from the transfer activities' heartbeats), throughput
 * and ETA. For anything else, status and the search attributes. NotFoundError when there is no such workflow.
 */
export async function getProgress(
  client: Client,
  workflowId: string,
  opts: GetProgressOptions = {},
): Promise<WorkflowProgress> {
  const { info } = await describeWorkflow(client, workflowId);
  const out: WorkflowProgress = {
    workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
    ...attributes(info),
  };
  if (info.status.name !== 'RUNNING') return out;
  const timeoutMs = opts.queryTimeoutMs ?? 5000;
  const run = client.workflow.getHandle(workflowId, info.runId);
  if (info.type === WORKFLOW_TYPES.sync) {
    const sync = await withTimeout(
      run.query(syncProgressQuery).catch(() => undefined),
      timeoutMs,
    );
    return sync ? { ...out, phase: sync.phase, sync } : out;
  }
  const first = await sampleTransfer(client, run, timeoutMs);
  if (!first) return out;
  let last = first;
  // Heartbeats reach the server about once a second: wait for a newer one, up to sampleMs.
  for (const deadline = Date.now() + (opts.sampleMs ?? 0); Date.now() < deadline && last.at <= first.at;) {
    await new Promise((r) => setTimeout(r, 250));
    last = (await sampleTransfer(client, run, timeoutMs)) ?? last;
  }
  const { progress } = last;
  const totalBytes = progress.totalBytes || last.files.reduce((n, f) => n + f.size, 0);
  const measured = last.at > first.at;
  const throughput = measured
    ? (Math.max(0, last.bytesDone - first.bytesDone) * 1000) / (last.at - first.at)
    : (last.bytesDone * 1000) / Math.max(1, Date.now() - info.startTime.getTime());
  return {
    ...out,
    phase: progress.phase,
    ...(progress.sessionId ? { sessionId: progress.sessionId } : {}),
    ...(progress.approval ? { approval: progress.approval } : {}),
    files: last.files,
    totalBytes,
    bytesDone: last.bytesDone,
    throughput,
    throughputBasis: measured ? 'sample' : 'average',
    ...(throughput > 0 && progress.phase === 'transferring'
      ? { etaSeconds: Math.max(0, totalBytes - last.bytesDone) / throughput }
      : {}),
  };
}

/** Filters for {@link listWorkflows}; all optional, combined with AND. */
export interface ListWorkflowsOptions {
  type?: WorkflowKind;
  state?: WorkflowState;
  /** Library id (as in CloLibraryId). */
  libraryId?: string;
  /** Library item id (as in CloItemId). */
  itemId?: string;
  vcenter?: string;
  /** @default 20 */
  limit?: number;
}

/** One row of `clo list`. */
export interface WorkflowSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string;
  closeTime?: string;
  phase?: string;
  vcenter?: string;
  libraryId?: string;
  itemId?: string;
  sessionIds: string[];
}

const quote = (value: string, what: string): string => {
  if (/['"\\]/.test(value))
    throw new InvalidInputError(`${what}: quotes and backslashes are not allowed (got ${value})`);
  return `'${value}'`;
};

/** The visibility query for `opts`. */
export function listQuery(opts: ListWorkflowsOptions): string {
  const clauses: string[] = [];
  if (opts.type) {
    if (!(opts.type in WORKFLOW_TYPES)) {
      throw new InvalidInputError(
        `--type: expected one of ${Object.keys(WORKFLOW_TYPES).join(', ')} (got ${opts.type})`,
      );
    }
    clauses.push(`WorkflowType = '${WORKFLOW_TYPES[opts.type]}'`);
  } else {
    clauses.push(
      `WorkflowType IN (${Object.values(WORKFLOW_TYPES)
        .map((t) => `'${t}'`)
        .join(', ')})`,
    );
  }
  if (opts.state) {
    if (!(opts.state in STATES))
      throw new InvalidInputError(
        `--state: expected one of ${Object.keys(STATES).join(', ')} (got ${opts.state})`,
      );
    clauses.push(`ExecutionStatus = '${STATES[opts.state]}'`);
  }
  if (opts.libraryId) clauses.push(`${LIBRARY_ID.name} = ${quote(opts.libraryId, '--library')}`);
  if (opts.itemId) clauses.push(`${ITEM_ID.name} = ${quote(opts.itemId, '--item')}`);
  if (opts.vcenter) clauses.push(`${VCENTER.name} = ${quote(opts.vcenter, '--vcenter')}`);
  return clauses.join(' AND ');
}

/** Recent and running clo workflows, newest first, through visibility. */
export async function listWorkflows(
  client: Client,
  opts: ListWorkflowsOptions = {},
): Promise<WorkflowSummary[]> {
  const limit = opts.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError(`--limit: expected a positive whole number (got ${opts.limit})`);
  const out: WorkflowSummary[] = [];
  for await (const info of client.workflow.list({
    query: listQuery(opts),
    pageSize: Math.min(limit, 1000),
  })) {
    out.push({
      workflowId: info.workflowId,
      runId: info.runId,
      type: info.type,
      status: info.status.name,
      startTime: info.startTime.toISOString(),
      ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
      ...attributes(info),
    });
    if (out.length >= limit) break;
  }
  return out;
}

/** What {@link cancelWorkflow} did. */
export interface CancelResult {
  workflowId: string;
  runId: string;
  /** The status after the request (RUNNING until the saga has compensated), or the final one with `wait`. */
  status: string;
}

/**
 * Asks a running workflow to cancel (a saga then compensates: cancels its session, removes
 * an item it created). NotFoundError if there is no such workflow; a ConflictError (exit 4) if
 * it has already ended. With `wait`, resolves once it has closed.
 */
export async function cancelWorkflow(
  client: Client,
  workflowId: string,
  opts: { wait?: boolean } = {},
): Promise<CancelResult> {
  const { handle, info } = await describeWorkflow(client, workflowId);
  if (info.status.name !== 'RUNNING') {
    throw new ConflictError(`workflow ${workflowId} is not running (${info.status.name}); nothing to cancel`);
  }
  const run = client.workflow.getHandle(workflowId, info.runId);
  try {
    await run.cancel();
  } catch (err) {
    // It ended between the describe and the cancel.
    if (err instanceof WorkflowNotFoundError)
      throw new ConflictError(`workflow ${workflowId} is not running; nothing to cancel`);
    throw err;
  }
  if (opts.wait) await run.result().catch(() => undefined);
  const after = opts.wait ? await handle.describe() : info;
  return { workflowId, runId: info.runId, status: after.status.name };
}
