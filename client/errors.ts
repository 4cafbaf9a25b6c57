/** Raised before anything starts when the input is invalid; the message names each field. The CLI exits 2. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** The named workflow or schedule does not exist. The CLI exits 3. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/**
 * A different request already runs under the same deterministic workflow id (another
 * source for the same item, another file filter for the same destination); nothing was
 * started. Wait for it, queue behind it, or cancel it. The CLI exits 4.
 */
export class RequestConflictError extends Error {
  override readonly name = 'RequestConflictError';
  constructor(
    message: string,
    /** The run that holds the id, and its request as its memo describes it. */
    readonly running: { workflowId: string; runId: string; description: string },
    /** This request, described the same way. */
    readonly requested: string,
  ) {
    super(message);
  }
}

/** It conflicts with what exists or with the workflow's state (a schedule of that name exists, a workflow that is not running). The CLI exits 4. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/**
 * The Temporal frontend did not answer at the configured address; nothing was started. The
 * message names the address, the setting (TEMPORAL_ADDRESS) and `clo dev`. The CLI exits 6.
 */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    why: string,
  ) {
    super(
      `cannot reach Temporal at ${address} (${why}); start a local server with \`clo dev\`, ` +
        `or point clo at yours with TEMPORAL_ADDRESS (or temporal.address in CLO_CONFIG_FILE)`,
    );
  }
}

/**
 * A sync ran to its end but some items failed. `failureType` is the failure type they share,
 * when they all share one: the CLI exits with that type's code, else 1.
 */
export class ItemsFailedError extends Error {
  override readonly name = 'ItemsFailedError';
  constructor(
    message: string,
    readonly failureType?: string,
  ) {
    super(message);
  }
}
