import type { Command } from 'commander';
import { runWorker } from '../../worker/run';
import { InvalidInputError } from '../errors';

/** `clo worker`: poll the configured task queue until SIGINT/SIGTERM. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker on the configured task queue (default content-library) until SIGINT/SIGTERM')
    .option('--task-queue <name>', 'task queue to poll (overrides CLO_TASK_QUEUE)')
    .option(
      '--metrics <host:port>',
      "serve Prometheus metrics (the SDK's and clo's) at http://<host:port>/metrics",
    )
    .option(
      '--workflow-bundle <path>',
      'prebuilt workflow bundle from `npm run build:workflows` (overrides CLO_WORKFLOW_BUNDLE)',
    )
    .action(async (opts: { taskQueue?: string; metrics?: string; workflowBundle?: string }) => {
      if (opts.metrics !== undefined && !/^[^\s:]+:\d+$/.test(opts.metrics)) {
        throw new InvalidInputError(
          `--metrics: expected host:port, e.g. 127.0.0.1:9464 (got "${opts.metrics}")`,
        );
      }
      await runWorker({
        ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
        ...(opts.metrics ? { metricsAddress: opts.metrics } : {}),
        ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}),
      });
    });
}
