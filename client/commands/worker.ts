import type { Command } from 'commander';

/** `clo worker`: poll the configured task queue until SIGINT/SIGTERM. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker on the configured task queue (default content-library) until SIGINT/SIGTERM')
    .option('--task-queue <name>', 'task queue to poll (overrides CLO_TASK_QUEUE)')
    .action(async (opts: { taskQueue?: string }) => {
      // Loaded lazily: the worker pulls in the native Temporal core, which other commands do not need.
      const { runWorker } = await import('../../worker/run');
      await runWorker(opts.taskQueue ? { taskQueue: opts.taskQueue } : {});
    });
}
