/**
 * The one place errors cross into Temporal: a ContentLibraryError (or SourceError,
 * ConfigError) becomes an ApplicationFailure whose `type` is the error's name and
 * whose retryability is the error's own, so Temporal's retry policy is the only
 * retry layer.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { redactUrlSecrets } from '../workflows/definitions/url-secrets';

/** Errors that will not get better by retrying, whatever their class says. */
const PERMANENT = new Set(['ConfigError', 'ZodError']);

/**
 * The type of a SourceError that may clear up by itself (an index server's 503, an NFS EIO).
 * The sagas' retry policy lists `SourceError` as permanent (workflows/lib/retry.ts), so a
 * retryable one must surface under another name to be retried at all.
 */
export const SOURCE_UNAVAILABLE = 'SourceUnavailable';

/** The failure type an error crosses into Temporal with: its name, except a retryable SourceError. */
export function failureTypeOf(err: { name: string; retryable?: boolean }): string {
  return err.name === 'SourceError' && err.retryable === true ? SOURCE_UNAVAILABLE : err.name;
}

export function toApplicationFailure(err: unknown): TemporalFailure {
  // Cancellation (and any failure Temporal made) must reach the SDK as is, or a
  // cancelled activity would be reported as failed and retried.
  if (err instanceof TemporalFailure) return withoutUrlSecrets(err);
  if (!(err instanceof Error)) {
    return ApplicationFailure.create({ type: 'UnknownError', message: redactUrlSecrets(String(err)) });
  }
  const e = err as Error & { code?: string; retryable?: boolean; status?: number };
  const type = failureTypeOf(e);
  return ApplicationFailure.create({
    type,
    // Failures are kept in history: a URL a server or a library echoed goes in redacted.
    message: redactUrlSecrets(e.message),
    // A source is wrong until it says otherwise: a SourceError without `retryable: true` is permanent.
    nonRetryable: PERMANENT.has(e.name) || e.retryable === false || type === 'SourceError',
    details: [{ code: e.code ?? null, status: e.status ?? null }],
  });
}

/** An ApplicationFailure whose message (and the stack trace repeating it) carries a URL credential, redacted. */
function withoutUrlSecrets(failure: TemporalFailure): TemporalFailure {
  if (!(failure instanceof ApplicationFailure)) return failure;
  const message = redactUrlSecrets(failure.message);
  if (message === failure.message) return failure;
  failure.message = message;
  if (failure.stack) failure.stack = redactUrlSecrets(failure.stack);
  return failure;
}

/** A permanent failure the saga handles by type (SessionGone, ItemBusy, ValidationFailed, ...). */
export function permanent(
  type: string,
  message: string,
  details?: Record<string, unknown>,
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    ...(details ? { details: [details] } : {}),
  });
}

/**
 * What an unreachable or restarting vCenter looks like: refused or reset connections,
 * timeouts, 5xx. The sagas retry these without an attempt cap (workflows/lib/retry.ts
 * OUTAGE_RETRY), bounded by time: the outage budget.
 */
const OUTAGE_TYPES = new Set([
  'TransportError',
  'ServiceUnavailableError',
  'InternalServerError',
  'UnexpectedResponseError',
]);

/**
 * Attempts after which any other retryable failure becomes permanent. The sagas' policy has
 * no attempt cap (so outages are waited out); without this, a failure no retry can fix that
 * is marked retryable by mistake would be retried for the whole outage budget.
 */
export const MAX_ATTEMPTS_OUTSIDE_OUTAGES = 10;

/** Ends the retries of a retryable failure that is not an outage once it has had its attempts. */
function capAttempts(failure: TemporalFailure): TemporalFailure {
  if (
    !(failure instanceof ApplicationFailure) ||
    failure.nonRetryable ||
    OUTAGE_TYPES.has(failure.type ?? '')
  )
    return failure;
  let attempt = 0;
  try {
    attempt = Context.current().info.attempt;
  } catch {
    return failure; // not inside an activity
  }
  if (attempt < MAX_ATTEMPTS_OUTSIDE_OUTAGES) return failure;
  return ApplicationFailure.create({
    type: failure.type ?? 'UnknownError',
    message: `${failure.message} (gave up after ${attempt} attempts: only an unreachable vCenter is retried without limit)`,
    nonRetryable: true,
    details: failure.details ?? [],
  });
}

/** Wraps every function of an activity map so what it throws is an ApplicationFailure. */
export function withFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    // Named function expressions keep the activity name in stack traces.
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw capAttempts(toApplicationFailure(err));
      }
    };
  }
  return wrapped as T;
}

/** The session a saga holds no longer exists (expired while workers were down, or deleted). */
export function sessionGone(sessionId: string): ApplicationFailure {
  return permanent('SessionGone', `session ${sessionId} no longer exists (expired or deleted)`, {
    sessionId,
  });
}
