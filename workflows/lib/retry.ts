/**
 * One retry policy for the sagas' activities, and the failure types no retry can fix.
 * Activities already mark these non-retryable (activities/failures.ts `permanent`);
 * naming them here too keeps them from being retried when one is raised without the
 * flag (an older worker build, a hand-written ApplicationFailure).
 */
import type { RetryPolicy } from '@temporalio/workflow';

export const PERMANENT_FAILURES = [
  // input and configuration
  'InvalidInput',
  'ConfigError',
  'SourceError',
  'InvalidPlan',
  'DestinationInvalid',
  'UnsupportedEndpoint',
  // what the vCenter holds
  'LibraryNotFound',
  'AmbiguousLibrary',
  'ItemNotFound',
  'ItemNotInLibrary',
  'ItemBusy',
  'NothingToDownload',
  'NoSuchFile',
  'UnsafeFileName',
  'FileExists',
  'TakeOverUnavailable',
  'OwnerCheckUnavailable',
  // sessions and content
  'SessionGone',
  'ValidationFailed',
  'PrepareFailed',
  'PullFailed',
  'NoUploadEndpoint',
  'ChecksumMismatch',
  'SizeMismatch',
  'Unverifiable',
  'TargetMismatch',
  'SourceChanged',
  // the server's answers
  'ResponseValidationError',
  'TlsError',
  // the lease gave up on an unreachable vCenter
  'VCenterUnreachable',
];

/** Backoff from 1 s to 30 s, ten attempts, permanent failures never retried (sync, reaper). */
export const RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: PERMANENT_FAILURES,
};

/**
 * The transfer sagas' policy: no attempt cap, so a vCenter that is down for a reboot or an
 * upgrade (15–30 minutes) is waited out. What bounds the wait is time, not attempts: a
 * control call's schedule-to-close timeout (the outage budget), and for transfers the
 * session lease, which fails the saga with `VCenterUnreachable` once keep_alive has failed
 * for longer than the budget.
 */
export const OUTAGE_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: PERMANENT_FAILURES,
};

/**
 * OUTAGE_RETRY with its backoff capped at `maximumIntervalMs` (options.outageRetryIntervalMs,
 * CLO_OUTAGE_RETRY_INTERVAL): how often a saga probes a vCenter that is away. Unset, the
 * policy is OUTAGE_RETRY itself, so sagas started without the option behave as before.
 */
export function outageRetry(maximumIntervalMs?: number): RetryPolicy {
  return maximumIntervalMs === undefined
    ? OUTAGE_RETRY
    : { ...OUTAGE_RETRY, maximumInterval: maximumIntervalMs };
}
