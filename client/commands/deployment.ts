import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { BuildId } from '../../temporal.config';
import type { DeploymentDescription } from '../deployments';
import { InvalidInputError } from '../errors';
import { table, when } from '../table';

/** A deployment as text: routing, then one row per version with its task queues. */
export function formatDeployment(d: DeploymentDescription): string {
  const lines = [
    `deployment  ${d.name}`,
    `current     ${d.currentBuildId ?? '(unversioned workers)'}${d.currentChangedAt ? `, since ${when(d.currentChangedAt)}` : ''}`,
    `ramping     ${d.rampingBuildId ? `${d.rampingBuildId} at ${d.rampPercentage}%` : '-'}`,
  ];
  if (d.versions.length) {
    lines.push(
      table(
        ['BUILD ID', 'STATUS', 'DRAINAGE', 'CREATED', 'TASK QUEUES'],
        d.versions.map((v) => [
          v.buildId,
          v.status,
          v.drainage
            ? `${v.drainage}${v.drainageCheckedAt ? ` (checked ${when(v.drainageCheckedAt)})` : ''}`
            : '',
          when(v.createdAt),
          v.taskQueues.map((q) => `${q.name} (${q.types.join(', ')})`).join('; '),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function checked(flag: string, value: string, schema: typeof BuildId): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new InvalidInputError(`${flag}: ${parsed.error.issues[0]?.message} (got "${value}")`);
  return parsed.data;
}

// What the actions need is loaded when one runs, not at the top, so `clo --help` loads
// neither zod nor the Temporal client (bench/startup.ts).

/** The deployment a command is about: --deployment-name, else the worker's default. */
async function deploymentName(flag: string | undefined): Promise<string> {
  const { DeploymentName, deploymentNameFor, loadConfig } = await import('../../temporal.config');
  return flag !== undefined
    ? checked('--deployment-name', flag, DeploymentName)
    : deploymentNameFor(loadConfig());
}

async function withClient<T>(fn: (client: Client) => Promise<T>) {
  const { loadConfig } = await import('../../temporal.config');
  const { connectClient } = await import('../connection');
  const { client, close } = await connectClient(loadConfig());
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

const DEPLOYMENT_NAME_HELP = 'Worker Deployment (default: CLO_DEPLOYMENT_NAME, else the task queue)';

/** `clo deployment ...`: see and switch the versions of the workers (docs/deploy.md). */
export function registerDeployment(program: Command): void {
  const deployment = program
    .command('deployment')
    .description('Worker Deployment versions: which build new workflows start on, and which still drain');

  deployment
    .command('describe')
    .description('current and ramping version; each version with its status, drainage and task queues')
    .option('--deployment-name <name>', DEPLOYMENT_NAME_HELP)
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { deploymentName?: string; json?: boolean }) => {
      const name = await deploymentName(opts.deploymentName);
      const { describeDeployment } = await import('../deployments');
      const d = await withClient((client) => describeDeployment(client, name));
      console.log(opts.json ? JSON.stringify(d) : formatDeployment(d));
    });

  deployment
    .command('set-current')
    .description(
      'start new workflows on this build; pinned ones stay on the build they started on (rollback: the old build id)',
    )
    .requiredOption('--build-id <id>', 'the build to make current (its workers must be polling)')
    .option('--deployment-name <name>', DEPLOYMENT_NAME_HELP)
    .option(
      '--ignore-missing-task-queues',
      "set it current although its workers do not poll every task queue the current version's poll",
    )
    .option('--json', 'print machine-readable JSON')
    .action(
      async (opts: {
        buildId: string;
        deploymentName?: string;
        ignoreMissingTaskQueues?: boolean;
        json?: boolean;
      }) => {
        const { BuildId } = await import('../../temporal.config');
        const buildId = checked('--build-id', opts.buildId, BuildId);
        const name = await deploymentName(opts.deploymentName);
        const { setCurrentVersion } = await import('../deployments');
        const result = await withClient((client) =>
          setCurrentVersion(client, name, buildId, {
            ignoreMissingTaskQueues: opts.ignoreMissingTaskQueues ?? false,
          }),
        );
        const out = { deploymentName: name, currentBuildId: buildId, ...result };
        console.log(
          opts.json
            ? JSON.stringify(out)
            : `${name}: current ${buildId}, was ${result.previousBuildId ?? '(unversioned workers)'}`,
        );
      },
    );

  deployment
    .command('list')
    .description("the namespace's Worker Deployments with their current and latest build")
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      const { listDeployments } = await import('../deployments');
      const all = await withClient((client) => listDeployments(client));
      console.log(
        opts.json
          ? JSON.stringify(all)
          : table(
              ['DEPLOYMENT', 'CURRENT', 'RAMPING', 'LATEST', 'CREATED'],
              all.map((d) => [
                d.name,
                d.currentBuildId,
                d.rampingBuildId,
                d.latestBuildId,
                when(d.createdAt),
              ]),
            ),
      );
    });
}
