/** The task queue a worker polls when none is configured (`CLO_TASK_QUEUE`). */
export const DEFAULT_TASK_QUEUE = 'content-library';
