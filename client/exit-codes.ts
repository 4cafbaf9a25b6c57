/**
 * Exit codes scripts can rely on, one per class of failure: what a script can do next depends on
 * the class (fix the input, create the library, wait or pass --overwrite, widen the roots, retry
 * later, ...), not on which layer noticed it. The same cause exits with the same code whether clo
 * refused it before starting or the saga failed on it. docs/operations.md has the table.
 */
export const EXIT = {
  OK: 0,
  /** Anything not classified below (a server's unexpected answer, items of a sync that failed for different reasons). */
  FAILURE: 1,
  /** The input or configuration is wrong (a flag, a path, an unknown vCenter, a bad source); nothing was changed. */
  BAD_INPUT: 2,
  /** The named workflow, schedule, library, item or file does not exist. */
  NOT_FOUND: 3,
  /**
   * It conflicts with what exists or runs: another request for the same target (nothing was
   * started; the same command works once that run has ended), a file or item that already
   * exists, an item busy in another session.
   */
  CONFLICT: 4,
  /** Not allowed: a path outside the worker's allowed roots, or refused by vCenter's credentials or permissions. */
  NOT_ALLOWED: 5,
  /** A server could not be reached: Temporal, the vCenter (refused, reset, 5xx past the outage budget), its TLS certificate. */
  UNAVAILABLE: 6,
  /** The transfer ran and what arrived is not what was sent: size or checksum mismatch, the vCenter's validation or pull failed. */
  TRANSFER_FAILED: 7,
  /** The workflow was cancelled or terminated. */
  CANCELLED: 8,
  /** A time limit ran out: the upload's time budget, the workflow's execution timeout. */
  TIMED_OUT: 9,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The name of each code's class, as the `--json` error object's `class` shows it. */
export const EXIT_CLASS: Record<ExitCode, string> = {
  0: 'ok',
  1: 'failure',
  2: 'invalid-input',
  3: 'not-found',
  4: 'conflict',
  5: 'not-allowed',
  6: 'unavailable',
  7: 'transfer-failed',
  8: 'cancelled',
  9: 'timed-out',
};

/**
 * Failure types by class: client errors' names, the sagas' ApplicationFailure types
 * (workflows/lib/retry.ts lists the permanent ones) and the Content Library client's error
 * names (activities/content-library/errors.ts). A type not listed is {@link EXIT.FAILURE}.
 */
const TYPES_BY_CODE: Record<Exclude<ExitCode, 0 | 1>, readonly string[]> = {
  [EXIT.BAD_INPUT]: [
    'InvalidInputError',
    'ApprovalRefused',
    'InvalidInput',
    'ConfigError',
    'ZodError',
    'SourceError',
    'InvalidPlan',
    'DestinationInvalid',
    'UnsupportedEndpoint',
    'UnsafeFileName',
    'InvalidArgumentError',
    'InvalidElementTypeError',
    'PayloadDecryptionError',
    // commander's usage errors (unknown option, missing argument): the process exits 2 for them
    'CommanderError',
    // TEMPORAL_NAMESPACE names a namespace the server does not have
    'NamespaceNotFoundError',
  ],
  [EXIT.NOT_FOUND]: [
    'NotFoundError',
    'WorkflowNotFoundError',
    'ScheduleNotFoundError',
    'LibraryNotFound',
    'ItemNotFound',
    'ItemNotInLibrary',
    'NoSuchFile',
    'NothingToDownload',
  ],
  [EXIT.CONFLICT]: [
    'RequestConflictError',
    'ConflictError',
    'WorkflowExecutionAlreadyStartedError',
    'FileExists',
    'AlreadyExistsError',
    'DuplicateName',
    'AmbiguousLibrary',
    'ItemBusy',
    'NotAwaitingApproval',
    'ResourceBusyError',
    'ConcurrentChangeError',
    'NotAllowedInCurrentStateError',
    'ManagedElsewhere',
    'NotManaged',
  ],
  [EXIT.NOT_ALLOWED]: [
    'PathNotAllowed',
    'UnauthorizedError',
    'UnauthenticatedError',
    // a signed package's certificate refused by the upload's policy or by a person
    'CertificateWarnings',
    'ApprovalRejected',
  ],
  [EXIT.UNAVAILABLE]: [
    'TemporalUnreachableError',
    'TransportError',
    'ServiceUnavailableError',
    'InternalServerError',
    'VCenterUnreachable',
    'TlsError',
    'ThumbprintMismatch',
    'HostUnavailable',
    'SourceUnavailable',
  ],
  [EXIT.TRANSFER_FAILED]: [
    'SizeMismatch',
    'ChecksumMismatch',
    'Unverifiable',
    'TargetMismatch',
    'SourceChanged',
    'ValidationFailed',
    'PullFailed',
    'PrepareFailed',
    'UpdateSessionFailed',
    'SessionGone',
    'NoUploadEndpoint',
  ],
  [EXIT.CANCELLED]: ['CancelledFailure', 'TerminatedFailure'],
  [EXIT.TIMED_OUT]: ['TimeBudgetExceeded', 'TimeoutFailure', 'ApprovalTimedOut'],
};

const CODE_OF_TYPE = new Map<string, ExitCode>(
  Object.entries(TYPES_BY_CODE).flatMap(([code, types]) => types.map((t) => [t, Number(code) as ExitCode])),
);

/** The exit code for a failure type (an error's name or an ApplicationFailure's type). */
export function exitCodeForType(type: string | undefined): ExitCode {
  return (type !== undefined && CODE_OF_TYPE.get(type)) || EXIT.FAILURE;
}
