import type { Command } from 'commander';
import type * as Config from '../../temporal.config';
import { InvalidInputError, TemporalUnreachableError } from '../errors';

interface WorkerFlags {
  taskQueue?: string;
  metrics?: string;
  workflowBundle?: string;
  buildId?: string;
  deploymentName?: string;
}

/** Checks the flags that need more than commander does; an InvalidInputError names the flag. */
export function checkWorkerFlags(opts: WorkerFlags): void {
  // Required here, not imported at the top, so `clo --help` does not load zod (bench/startup.ts);
  // synchronous because its callers are.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BuildId, DeploymentName } = require('../../temporal.config') as typeof Config;
  if (opts.metrics !== undefined && !/^[^\s:]+:\d+$/.test(opts.metrics)) {
    throw new InvalidInputError(`--metrics: expected host:port, e.g. 127.0.0.1:9464 (got "${opts.metrics}")`);
  }
  const bad = (flag: string, value: string, schema: typeof Config.BuildId) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new InvalidInputError(`${flag}: ${parsed.error.issues[0]?.message} (got "${value}")`);
    }
  };
  if (opts.buildId !== undefined) bad('--build-id', opts.buildId, BuildId);
  if (opts.deploymentName !== undefined) bad('--deployment-name', opts.deploymentName, DeploymentName);
}

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
    .option(
      '--build-id <id>',
      'run as this version of the Worker Deployment (overrides CLO_BUILD_ID; see docs/deploy.md); unversioned without it',
    )
    .option(
      '--deployment-name <name>',
      'the Worker Deployment of --build-id (overrides CLO_DEPLOYMENT_NAME; default: the task queue)',
    )
    .action(async (opts: WorkerFlags) => {
      checkWorkerFlags(opts);
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { runWorker } = await import('../../worker/run');
      const { TemporalConnectError } = await import('../../worker/create-worker');
      await runWorker({
        ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
        ...(opts.metrics ? { metricsAddress: opts.metrics } : {}),
        ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}),
        ...(opts.buildId ? { buildId: opts.buildId } : {}),
        ...(opts.deploymentName ? { deploymentName: opts.deploymentName } : {}),
      }).catch(async (err: unknown) => {
        if (!(err instanceof TemporalConnectError)) throw err;
        // As every other command says it: a refused or unknown address named by the probe's own
        // answer (connection.ts), anything else with the SDK's first words.
        const { refuseDeadAddress } = await import('../connection');
        await refuseDeadAddress(err.address);
        throw new TemporalUnreachableError(err.address, err.why);
      });
    });
}
