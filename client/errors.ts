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
