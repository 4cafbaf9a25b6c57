/** Exit codes scripts can rely on. */
export const EXIT = {
  OK: 0,
  /** The operation ran and failed (a saga failed, a server refused). */
  FAILURE: 1,
  /** The input or configuration was wrong; nothing was started. */
  BAD_INPUT: 2,
  /** The named workflow, library or item does not exist. */
  NOT_FOUND: 3,
  /**
   * A different request for the same target is running (RequestConflictError); nothing was
   * started. Apart from BAD_INPUT because the same command succeeds once that run has ended.
   */
  CONFLICT: 4,
} as const;
