/**
 * One running saga per deterministic workflow id, and only for one request. A start
 * uses WorkflowIdConflictPolicy FAIL; when a run already holds the id, its request
 * identity (a hash in the memo, written at start) decides: the same request attaches to
 * it, a different one is refused with a {@link RequestConflictError} (or, when asked to
 * queue, waits for the running one to end and starts then). USE_EXISTING would attach
 * any request to whatever runs, and report the other request's result as this one's.
 */
import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { z } from 'zod';
import { RequestConflictError } from './errors';

/** The memo key that holds the {@link RequestMemo}. */
export const REQUEST_MEMO_KEY = 'cloRequest';

/**
 * What the memo says about the request that started a run. Visible in describe and the
 * Web UI, so it holds no secrets: `description` is redacted, and `identity` is a hash.
 */
export const RequestMemo = z.object({
  /** SHA-256 of the canonical JSON of everything that makes two requests the same. */
  identity: z.string(),
  /** The request for people: its source with URLs stripped of user info, query and fragment. */
  description: z.string(),
});
export type RequestMemo = z.infer<typeof RequestMemo>;

/** JSON with object keys sorted and undefined members left out, so equal values hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The memo of a request: `identity` is hashed whole (full URLs included, as the workflow
 * input in history holds them anyway), `description` is shown as is.
 */
export function requestMemo(workflowType: string, identity: unknown, description: string): RequestMemo {
  const hash = createHash('sha256')
    .update(`${workflowType}/v1\n${canonicalJson(identity)}`)
    .digest('hex');
  return { identity: hash, description };
}

/** `url` without user info, query string or fragment: what may be shown and stored in a memo. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** What a caller may ask of a start that finds a different request running. */
export interface QueueOptions {
  /** Wait for a running different request to end, then start, instead of refusing. @default false */
  queue?: boolean;
  /** Called each time the start waits behind a running different request (queue only). */
  onQueued?: (running: RunningRequest) => void;
}

/** What a workflow type needs for the identity check. */
export interface RequestCheck extends QueueOptions {
  /** This request's memo. */
  memo: RequestMemo;
  /**
   * The memo the same code would have written for a run's first input: the fallback for a
   * run started without one (by an older client). Undefined when the input does not parse.
   */
  memoOfInput: (input: unknown) => RequestMemo | undefined;
}

/** The check for a workflow whose input `schema` parses and `toMemo` describes. */
export function requestCheck<S extends z.ZodType>(
  schema: S,
  toMemo: (input: z.infer<S>) => RequestMemo,
  input: z.infer<S>,
  opts: QueueOptions,
): RequestCheck {
  return {
    memo: toMemo(input),
    memoOfInput: (first) => {
      const parsed = schema.safeParse(first);
      return parsed.success ? toMemo(parsed.data) : undefined;
    },
    ...(opts.queue ? { queue: true } : {}),
    ...(opts.onQueued ? { onQueued: opts.onQueued } : {}),
  };
}

/** The run that holds the workflow id. */
export interface RunningRequest {
  workflowId: string;
  runId: string;
  description: string;
}

// A run that closes between our start and our describe frees the id: start again. A few
// turns cover any honest race; more means something else keeps starting and ending runs.
const MAX_START_ATTEMPTS = 5;

/** Starts `workflowType` under `options.workflowId`, or attaches to the same request's run, or refuses. */
export async function startOrAttach<T extends Workflow>(
  client: Client,
  workflowType: string,
  options: WorkflowStartOptions<T>,
  check: RequestCheck,
): Promise<WorkflowHandleWithFirstExecutionRunId<T>> {
  const { workflowId } = options;
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS;) {
    try {
      return await client.workflow.start<T>(workflowType, {
        ...options,
        workflowIdConflictPolicy: 'FAIL',
        memo: { ...options.memo, [REQUEST_MEMO_KEY]: check.memo },
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const running = await describeRunning(client, workflowId);
    if (!running) {
      attempt++;
      continue;
    }
    const theirs = await memoOf(client, running, check);
    const runId = running.runId;
    if (theirs?.identity === check.memo.identity) {
      // A run that continued as new is addressed through the first run of its chain.
      const firstExecutionRunId = running.raw.workflowExecutionInfo?.firstRunId || runId;
      const handle = client.workflow.getHandle<T>(workflowId, undefined, { firstExecutionRunId });
      return { ...handle, firstExecutionRunId };
    }
    const description = theirs?.description ?? 'unknown (started without a request memo)';
    if (!check.queue) {
      throw new RequestConflictError(
        `${workflowId} is already running (run ${runId}) for a different request: ${description}. ` +
          `This request (${check.memo.description}) was not started. Wait for that run to end ` +
          `(clo status ${workflowId} --watch) and start this again, start it with --queue (queue: true) ` +
          `to run after it, or cancel that run with: clo cancel ${workflowId}`,
        { workflowId, runId, description },
        check.memo.description,
      );
    }
    check.onQueued?.({ workflowId, runId, description });
    // Its outcome is that request's business; this one only waits for the id to be free.
    await client.workflow
      .getHandle(workflowId, runId, { followRuns: true })
      .result()
      .catch(() => undefined);
  }
  throw new Error(
    `${workflowId}: could not start or attach after ${MAX_START_ATTEMPTS} attempts: a run held the id ` +
      `at each start and was gone at each look; try again`,
  );
}

/** The run holding `workflowId` if it is still running; undefined when it has closed or vanished. */
async function describeRunning(
  client: Client,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    const described = await client.workflow.getHandle(workflowId).describe();
    return described.status.name === 'RUNNING' ? described : undefined;
  } catch (err) {
    if (err instanceof Error && err.name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** The running request's memo, or (for a run started without one) the memo of its input. */
async function memoOf(
  client: Client,
  running: WorkflowExecutionDescription,
  check: RequestCheck,
): Promise<RequestMemo | undefined> {
  const parsed = RequestMemo.safeParse(running.memo?.[REQUEST_MEMO_KEY]);
  if (parsed.success) return parsed.data;
  // One page of one event: the started event with the input, whatever the history's length.
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: running.workflowId, runId: running.runId },
    maximumPageSize: 1,
  });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  try {
    return check.memoOfInput(client.options.loadedDataConverter.payloadConverter.fromPayload(payload));
  } catch {
    return undefined;
  }
}
