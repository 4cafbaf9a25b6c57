/**
 * The one place errors cross into Temporal: a ContentLibraryError becomes an
 * ApplicationFailure whose `type` is the error's name and whose retryability is the
 * error's own, so Temporal's retry policy is the only retry layer.
 */
import { ApplicationFailure } from '@temporalio/common';

/** Errors that will not get better by retrying, whatever their class says. */
const PERMANENT = new Set(['ConfigError', 'ZodError']);

export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof Error)) {
    return ApplicationFailure.create({ type: 'UnknownError', message: String(err) });
  }
  const e = err as Error & { code?: string; retryable?: boolean; status?: number };
  return ApplicationFailure.create({
    type: e.name,
    message: e.message,
    nonRetryable: PERMANENT.has(e.name) || e.retryable === false,
    details: [{ code: e.code ?? null, status: e.status ?? null }],
    cause: err,
  });
}
