/**
 * The loop behind the warnings of a command that waits on a saga (worker-watch.ts,
 * vcenter-watch.ts): every few seconds, one describe of the saga, handed to each check in turn,
 * until stopped; nothing while the saga is not running. A turn that throws (the server
 * restarting) is tried again at the next one; the command's own wait reports a server that
 * stays away. Its timers never hold the process open.
 */
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';

export const CHECK_EVERY_MS = 2_500;

/** One check of a running saga, given its latest description. */
export type SagaCheck = (description: WorkflowExecutionDescription) => Promise<void>;

export function watchSaga(handle: WorkflowHandle, checks: SagaCheck[]): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const turn = async () => {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return;
    for (const check of checks) await check(description);
  };
  const loop = () => {
    if (stopped) return;
    turn()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, CHECK_EVERY_MS).unref();
      });
  };
  timer = setTimeout(loop, CHECK_EVERY_MS).unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
