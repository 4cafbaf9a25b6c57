import type { Command } from 'commander';
import { runWorker } from '../../worker/run';

/** `clo worker`: poll the configured task queue until SIGINT/SIGTERM. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker on the configured task queue (default content-library) until SIGINT/SIGTERM')
    .option('--task-queue <name>', 'task queue to poll (overrides CLO_TASK_QUEUE)')
    .action(async (opts: { taskQueue?: string }) => {
      await runWorker(opts.taskQueue ? { taskQueue: opts.taskQueue } : {});
    });
}
