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
];

/** Backoff from 1 s to 30 s, ten attempts, permanent failures never retried. */
export const RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: PERMANENT_FAILURES,
};
