/**
 * What a failed clo command tells its user: the root cause (the innermost ApplicationFailure
 * under WorkflowFailedError → ChildWorkflowFailure / ActivityFailure → ..., or the client
 * error itself) as one line, the exit code of its class (./exit-codes), a JSON object for
 * `--json`, and with `--debug` every link of the chain.
 *
 * Errors are recognised by name, not `instanceof`: this module must not load
 * @temporalio/client (the CLI loads it only in the commands that connect), and names survive
 * module isolation under Jest.
 */
import type { Client } from '@temporalio/client';
import { EXIT_CLASS, exitCodeForType, type ExitCode } from './exit-codes';

/** One link of a failure chain, outermost first. */
export interface FailureLink {
  /** The error's class: WorkflowFailedError, ActivityFailure, ApplicationFailure, TypeError, ... */
  name: string;
  /** An ApplicationFailure's type, else the name. */
  type: string;
  message: string;
  /** The activity (ActivityFailure) or child workflow (ChildWorkflowFailure) that failed. */
  step?: string;
  nonRetryable?: boolean;
  /** For errors raised in this process (not failures that came from a worker through Temporal). */
  stack?: string;
}

/** The `--json` error object (`{"error": ErrorReport}`); null fields do not apply to this failure. */
export interface ErrorReport {
  /** The root cause's failure type (ApplicationFailure type) or error name. */
  type: string;
  /** The class of `type` (invalid-input, not-found, conflict, ...): see docs/operations.md. */
  class: string;
  exitCode: ExitCode;
  /** The root cause's message, on one line. */
  message: string;
  workflowId: string | null;
  runId: string | null;
  workflowType: string | null;
  /** The saga's phase when it failed (CloPhase before it turned to compensating/failed). */
  phase: string | null;
  /** The activity or child workflow that failed. */
  step: string | null;
  /** With --debug: every link, outermost first. */
  chain?: FailureLink[];
}

/** Where a workflow failure happened: what the command knew or looked up before its client closed. */
export interface WorkflowContext {
  workflowId: string;
  runId?: string;
  workflowType?: string;
  phase?: string;
  /** The last local activity that failed (its marker names it), and its failure's message. */
  step?: string;
  stepMessage?: string;
}

const CONTEXT = Symbol.for('clo.workflowContext');

/** Failures that travel through Temporal: their stack is a worker's (or none), not this process's. */
const TEMPORAL_FAILURES = new Set([
  'ApplicationFailure',
  'ActivityFailure',
  'ChildWorkflowFailure',
  'CancelledFailure',
  'TerminatedFailure',
  'TimeoutFailure',
  'ServerFailure',
]);

/** Phases a saga moves to because it failed: the one before them is where it failed. */
const AFTER_FAILURE = new Set(['compensating', 'failed', 'done', 'waiting-for-vcenter']);

/** Every link of `err`'s cause chain, outermost first. */
export function failureChain(err: unknown): FailureLink[] {
  const links: FailureLink[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && links.length < 32;) {
    if (!(e instanceof Error)) {
      // Something thrown that is not an Error (a string, an object): shown as it is.
      const message = typeof e === 'string' ? e : (JSON.stringify(e) ?? typeof e);
      links.push({ name: typeof e, type: typeof e, message });
      break;
    }
    const f = e as Error & {
      type?: string | null;
      activityType?: string;
      workflowType?: string;
      nonRetryable?: boolean;
      failureType?: string;
    };
    const step =
      f.name === 'ActivityFailure'
        ? f.activityType
        : f.name === 'ChildWorkflowFailure'
          ? f.workflowType
          : undefined;
    links.push({
      name: f.name,
      type: f.type || f.failureType || f.name,
      message: f.message,
      ...(step ? { step } : {}),
      ...(f.name === 'ApplicationFailure' ? { nonRetryable: Boolean(f.nonRetryable) } : {}),
      ...(!TEMPORAL_FAILURES.has(f.name) && f.stack ? { stack: f.stack } : {}),
    });
    e = (e as { cause?: unknown }).cause;
  }
  return links;
}

/**
 * The root cause: under a WorkflowFailedError the innermost ApplicationFailure (else the
 * innermost failure: cancelled, terminated, timed out); any other error is its own cause.
 */
function rootOf(chain: FailureLink[]): { root: FailureLink; step?: string } {
  const top = chain[0] ?? { name: 'Error', type: 'Error', message: 'unknown error' };
  if (top.name !== 'WorkflowFailedError') return { root: top };
  const applications = chain.filter((l) => l.name === 'ApplicationFailure');
  const root = applications.at(-1) ?? chain.at(-1) ?? top;
  const steps = chain.slice(0, chain.indexOf(root)).filter((l) => l.step);
  return { root, ...(steps.length ? { step: steps.at(-1)!.step! } : {}) };
}

/** What to do about a client error whose message (the SDK's) names neither the setting nor the fix. */
const FIXES: Record<string, string> = {
  NamespaceNotFoundError:
    'set TEMPORAL_NAMESPACE (temporal.namespace in CLO_CONFIG_FILE) to one the server has, or create it: `temporal operator namespace create <name>`',
};

/** `text` on one line: a zod listing's lines joined with spaces. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
}

/** The report of `err` (with the workflow context a command attached to it). */
export function reportOf(err: unknown, opts: { debug?: boolean } = {}): ErrorReport {
  const chain = failureChain(err);
  const { root, step } = rootOf(chain);
  const ctx = (err as { [CONTEXT]?: WorkflowContext } | undefined)?.[CONTEXT];
  const running = (err as { running?: { workflowId?: string; runId?: string } } | undefined)?.running;
  const exitCode = exitCodeForType(root.type);
  return {
    type: root.type,
    class: EXIT_CLASS[exitCode],
    exitCode,
    message: oneLine(root.message) + (root === chain[0] && FIXES[root.type] ? `; ${FIXES[root.type]}` : ''),
    workflowId: ctx?.workflowId ?? running?.workflowId ?? null,
    runId: ctx?.runId ?? running?.runId ?? null,
    workflowType: ctx?.workflowType ?? null,
    phase: ctx?.phase ?? null,
    step: step ?? (ctx?.step && ctx.stepMessage === root.message ? ctx.step : null),
    ...(opts.debug ? { chain } : {}),
  };
}

/** The one line on stderr (without the `clo: ` prefix). */
export function reportLine(err: unknown, report: ErrorReport): string {
  if ((err as Error | undefined)?.name !== 'WorkflowFailedError') return report.message;
  const where = [report.phase && `phase: ${report.phase}`, report.step && `step: ${report.step}`]
    .filter(Boolean)
    .join(', ');
  const at = where ? ` (${where})` : '';
  switch (report.type) {
    case 'CancelledFailure':
      return `the workflow was cancelled${at}`;
    case 'TerminatedFailure':
      return `the workflow was terminated${at}: ${report.message}`;
    case 'TimeoutFailure':
      return `the workflow timed out${at}: ${report.message}`;
    default:
      return `the workflow failed: ${report.type}: ${report.message}${at}`;
  }
}

/** The --debug lines after the one line: each link's type and message, and a stack for local errors. */
export function chainLines(chain: FailureLink[]): string[] {
  return chain.flatMap((l, i) => {
    const head = `${'  '.repeat(i + 1)}${l.name}${l.type !== l.name ? ` ${l.type}` : ''}${
      l.step ? ` [${l.step}]` : ''
    }${l.nonRetryable ? ' (non-retryable)' : ''}: ${l.message}`;
    const stack = l.stack
      ?.split('\n')
      .slice(1)
      .map((s) => `${'  '.repeat(i + 2)}${s.trim()}`);
    return [head, ...(stack ?? [])];
  });
}

/**
 * Runs `wait` (a workflow's result); when it fails, attaches where: the run that failed, its
 * type and the phase it failed in (read from its history, as CloPhase ends at "failed").
 */
export async function withWorkflowContext<T>(
  client: Client,
  workflowId: string,
  wait: Promise<T>,
): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    if (err instanceof Error && err.name === 'WorkflowFailedError') {
      const ctx = await workflowContext(client, workflowId).catch(() => ({ workflowId }));
      Object.defineProperty(err, CONTEXT, { value: ctx, enumerable: false });
    }
    throw err;
  }
}

/** The latest run of `workflowId`, its type, and the last CloPhase it set before it failed. */
async function workflowContext(client: Client, workflowId: string): Promise<WorkflowContext> {
  const info = await client.workflow.getHandle(workflowId).describe();
  const history = await client.workflow.getHandle(workflowId, info.runId).fetchHistory();
  let phase: string | undefined;
  let step: { name: string; message: string } | undefined;
  for (const event of history.events ?? []) {
    // A local activity's failure reaches the workflow without an ActivityFailure naming it: its marker does.
    const marker = event.markerRecordedEventAttributes;
    if (marker?.failure && marker.details?.data?.payloads?.[0]?.data) {
      try {
        const data = JSON.parse(Buffer.from(marker.details.data.payloads[0].data).toString('utf8')) as {
          activity_type?: unknown;
        };
        let failure = marker.failure;
        while (failure.cause) failure = failure.cause;
        // Only the failure the saga failed on: an earlier attempt's marker may name another step.
        if (typeof data.activity_type === 'string')
          step = { name: data.activity_type, message: failure.message ?? '' };
      } catch {
        // Not the SDK's local activity marker.
      }
    }
    const fields =
      event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ??
      event.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields;
    const data = fields?.CloPhase?.data;
    if (!data) continue;
    const value: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    if (typeof value === 'string' && !AFTER_FAILURE.has(value)) phase = value;
  }
  return {
    workflowId,
    runId: info.runId,
    workflowType: info.type,
    ...(phase ? { phase } : {}),
    ...(step ? { step: step.name, stepMessage: step.message } : {}),
  };
}
