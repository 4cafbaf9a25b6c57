/**
 * What a command that waits on a saga (`--wait`, `clo status --watch`) says when no worker takes
 * the saga's tasks. Temporal keeps a task until a worker polls its queue, so with no worker
 * running (or none on the download's host, or none on the saga's build) the command would wait
 * in silence. The saga is durable and will run once a worker comes, so this warns on stderr and
 * keeps waiting; it never fails the command. A task queue nobody polls is unambiguous and is
 * said after {@link NO_POLLER_AFTER_MS}; a task that waits while workers do poll may just be
 * queued behind busy slots or moving off a dead worker's sticky queue (10 s), so that is said only
 * after {@link STALLED_AFTER_MS}.
 */
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { SagaCheck } from './watch-loop';

/** How long a task waits on a queue no worker polls before the command says so. */
export const NO_POLLER_AFTER_MS = 5_000;
/** How long a task waits while workers do poll its queue before the command says so. */
export const STALLED_AFTER_MS = 30_000;
/** A poller seen this recently is a live worker: a long poll lasts at most about 70 s. */
export const POLLER_FRESH_MS = 90_000;

type TaskQueueType = temporal.api.enums.v1.TaskQueueType;

/** Identities (with build ids where they version) of the workers that polled `taskQueue` lately. */
export async function livePollers(
  client: Client,
  taskQueue: string,
  type: TaskQueueType = temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
): Promise<string[]> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: type,
  });
  const now = Date.now();
  return (pollers ?? [])
    .filter((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESH_MS)
    .map((p) => {
      const build = p.deploymentOptions?.buildId;
      return build ? `${p.identity ?? '?'} (build ${build})` : (p.identity ?? '?');
    });
}

/** A task of the saga no worker has taken yet: which, on which queue, since when. */
interface WaitingTask {
  /** Names one wait: the same task seen again is not said twice. */
  key: string;
  what: string;
  taskQueue: string;
  type: TaskQueueType;
  sinceMs: number;
}

function millis(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  return t?.seconds == null ? undefined : Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/**
 * The saga's task that has waited longest for a worker: its workflow task, or an activity's first
 * attempt (a retry waiting out its backoff is not waiting for a worker). An activity's queue is
 * read from its ActivityTaskScheduled event: a download's file activities run on their host's
 * queue (`<taskQueue>@<host>`), not the workflow's.
 */
async function oldestWaitingTask(
  handle: WorkflowHandle,
  { raw }: WorkflowExecutionDescription,
): Promise<WaitingTask | undefined> {
  const workflowQueue = raw.executionConfig?.taskQueue?.name ?? '';
  const waiting: WaitingTask[] = [];
  const wft = raw.pendingWorkflowTask;
  const wftSince = millis(wft?.originalScheduledTime ?? wft?.scheduledTime);
  if (
    wft?.state === temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED &&
    wftSince
  ) {
    waiting.push({
      key: `workflow-task@${wftSince}`,
      what: 'its workflow task',
      taskQueue: workflowQueue,
      type: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      sinceMs: wftSince,
    });
  }
  const activities = (raw.pendingActivities ?? []).filter(
    (a) =>
      a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED &&
      (a.attempt ?? 1) <= 1 &&
      millis(a.scheduledTime) !== undefined,
  );
  if (activities.length) {
    const queues = await activityQueues(handle);
    for (const a of activities) {
      waiting.push({
        key: `activity:${a.activityId}@${millis(a.scheduledTime)}`,
        what: `activity ${a.activityType?.name ?? a.activityId}`,
        taskQueue: queues.get(a.activityId ?? '') ?? workflowQueue,
        type: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        sinceMs: millis(a.scheduledTime)!,
      });
    }
  }
  return waiting.sort((a, b) => a.sinceMs - b.sinceMs)[0];
}

/** Each scheduled activity's task queue by activity id, from the history. */
async function activityQueues(handle: WorkflowHandle): Promise<Map<string, string>> {
  const queues = new Map<string, string>();
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityId && scheduled.taskQueue?.name)
      queues.set(scheduled.activityId, scheduled.taskQueue.name);
  }
  return queues;
}

/**
 * The check (watch-loop.ts) of whether a task of the saga behind `handle` waits for a worker: said
 * once per wait through `warn` (stderr by default), with the queue, how long, who polls it, and
 * what to start. When a worker then takes it, says that too.
 */
export function workerCheck(
  client: Client,
  handle: WorkflowHandle,
  warn: (line: string) => void = (line) => console.error(line),
): SagaCheck {
  let said: WaitingTask | undefined;
  return async (description) => {
    const task = await oldestWaitingTask(handle, description);
    if (said && task?.key !== said.key) {
      warn(`clo: a worker took ${said.what} of ${handle.workflowId}; waiting for it to end`);
      said = undefined;
    }
    if (!task || said) return;
    const waited = Date.now() - task.sinceMs;
    if (waited < NO_POLLER_AFTER_MS) return;
    const pollers = await livePollers(client, task.taskQueue, task.type);
    const seconds = Math.round(waited / 1000);
    const where = `task queue "${task.taskQueue}" (namespace ${client.options.namespace})`;
    if (pollers.length === 0) {
      warn(
        `clo: no worker polls ${where}: ${handle.workflowId} has waited ${seconds} s for one to take ${task.what}. ` +
          `It runs when one starts there (\`clo worker\` with this config${
            task.taskQueue.includes('@') ? ` and CLO_HOST_ID=${task.taskQueue.split('@').pop()}` : ''
          }); Ctrl-C stops only this command, not the saga`,
      );
      said = task;
    } else if (waited >= STALLED_AFTER_MS) {
      warn(
        `clo: ${task.what} of ${handle.workflowId} has waited ${seconds} s on ${where} though ${pollers.length} ` +
          `worker(s) poll it: ${pollers.join(', ')}. They may all be busy, or on another build than the saga's ` +
          `(\`clo deployment describe\` shows which build runs new sagas)`,
      );
      said = task;
    }
  };
}
