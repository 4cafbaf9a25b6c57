/**
 * What a command that waits on a saga says when a call to vCenter keeps failing before any
 * session exists (resolving the library, creating the item or the session). The sagas make
 * those calls as local activities and retry them through an outage (workflows/lib/retry.ts,
 * up to the outage budget, 2 h by default), so the saga's phase stays where it was and the
 * command would wait in silence. What the history does show: while an attempt runs long the
 * worker completes the held workflow task empty every ~8 s, and between attempts it records the
 * local activity's failure in a marker and starts a backoff timer. A history that ends in such
 * a streak is a call being retried; its last failure is the cause. Where that is not readable
 * here (payloads sealed by the encryption codec), a TCP probe of the vCenter's address from this
 * host says what it can.
 */
import { connect } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { VCENTER } from '../workflows/definitions/search-attributes';
import type { SagaCheck } from './watch-loop';

/** Empty workflow task completions in a row (one every ~8 s) that say a local activity runs too long. */
const HEARTBEATS = 2;
const PROBE_TIMEOUT_MS = 3_000;

type Event = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const { EventType, PendingActivityState } = temporal.api.enums.v1;
/** Events a retried local activity leaves behind: the held task's completions, failure markers, backoff timers. */
const RETRY_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_TIMER_FIRED,
]);

/** A call the saga keeps retrying: since when (ms since the epoch), and its last failure's message when readable. */
export interface RetryingCall {
  since: number;
  lastError?: string;
}

const WORKFLOW_TASK_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
]);

const millis = (event: Event) =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);

/**
 * The call being retried, when the history ends in either (1) at least {@link HEARTBEATS}
 * workflow task completions with nothing else between them (an attempt held open), or (2) a
 * streak of only workflow task events, backoff timers and failed local-activity markers that
 * holds at least one such marker. A marker without a failure (a call that succeeded), a signal
 * or any other command ends the streak; a timer loop without failures is not a retry.
 */
export function retryingCall(events: Event[]): RetryingCall | undefined {
  let i = events.length - 1;
  let completions = 0;
  let heldSince: number | undefined;
  for (; i >= 0 && WORKFLOW_TASK_EVENTS.has(events[i]!.eventType ?? 0); i--) {
    if (events[i]!.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) completions++;
    heldSince = millis(events[i]!);
  }
  let streakSince = heldSince;
  let lastError: string | undefined;
  let failed = false;
  for (; i >= 0; i--) {
    const marker = events[i]!.markerRecordedEventAttributes;
    if (events[i]!.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && marker?.failure) {
      failed = true;
      // The latest failure, unless the codec sealed it (its message is then a placeholder).
      if (lastError === undefined && !marker.failure.encodedAttributes)
        lastError = marker.failure.message ?? undefined;
    } else if (!RETRY_EVENTS.has(events[i]!.eventType ?? 0)) break;
    streakSince = millis(events[i]!);
  }
  if (failed && streakSince !== undefined)
    return lastError ? { since: streakSince, lastError } : { since: streakSince };
  return completions >= HEARTBEATS && heldSince !== undefined ? { since: heldSince } : undefined;
}

/** What a TCP connection to `url`'s host and port from this host does, in a few words. */
export async function probe(url: string): Promise<string> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = Number(u.port || (u.protocol === 'http:' ? 80 : 443));
  } catch {
    return `its URL ${url} does not parse`;
  }
  return await new Promise((done) => {
    const socket = connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      done(`${host}:${port} accepts connections from this host, so the worker's log names the cause`);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(`${host}:${port} does not answer from this host within ${PROBE_TIMEOUT_MS / 1000} s`);
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(`${host}:${port} refuses or fails from this host too (${err.code ?? err.message})`),
    );
  });
}

/**
 * The check (watch-loop.ts) of whether the saga behind `handle` is retrying a call to vCenter
 * before any session: said once through `warn`, with the last error or what a probe of that
 * vCenter's address (from `vcenters`, the command's config) shows; said again when it moves on.
 * While an activity runs (a transfer, a session's lease) the history is not read: calls in a
 * session are the lease's to report (phase waiting-for-vcenter), and a long upload's turns stay
 * one describe each.
 */
export function vcenterCallCheck(
  handle: WorkflowHandle,
  vcenters: Record<string, { url: string }>,
  warn: (line: string) => void = (line) => console.error(line),
): SagaCheck {
  let said: number | undefined;
  return async ({ raw, searchAttributes }) => {
    const working = (raw.pendingActivities ?? []).some(
      (a) => a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
    const call = working ? undefined : retryingCall((await handle.fetchHistory()).events ?? []);
    if (said !== undefined && call?.since !== said) {
      warn(`clo: ${handle.workflowId} got past the call to vCenter; waiting for it to end`);
      said = undefined;
    }
    if (call === undefined || said !== undefined) return;
    const vcenter = String(searchAttributes?.[VCENTER.name]?.[0] ?? '');
    const phase = String(searchAttributes?.CloPhase?.[0] ?? 'unknown');
    const url = vcenters[vcenter]?.url;
    const cause = call.lastError
      ? `last error: ${call.lastError}`
      : url
        ? await probe(url)
        : `vCenter "${vcenter}" is not in this command's config to probe`;
    warn(
      `clo: ${handle.workflowId} has been retrying a call to vCenter "${vcenter}" for ` +
        `${Math.round((Date.now() - call.since) / 1000)} s (phase ${phase}); ${cause}. It retries until the ` +
        `outage budget (timeouts.outageBudgetMs) runs out; \`clo cancel ${handle.workflowId}\` stops it now`,
    );
    said = call.since;
  };
}
