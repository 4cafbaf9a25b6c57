/** The task queue a worker polls when none is configured (`CLO_TASK_QUEUE`). */
export const DEFAULT_TASK_QUEUE = 'content-library';

/**
 * The task queue of the session leases (keep_alive): every worker polls it with slots of
 * its own, so a lease never waits behind multi-hour transfers for an activity slot.
 */
export function leaseTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}/lease`;
}
