/**
 * Worker Deployment Versioning (docs/deploy.md): with `worker.buildId` set, every Worker that
 * createWorker starts (the shared queue, this host's download queue, the lease queue) polls as
 * the same version `<deploymentName>.<buildId>`, so the server can route all of a pinned saga's
 * tasks (its workflow tasks, its downloads on `<queue>@<host>`, its keep-alives on
 * `<queue>/lease`) to the build it started on.
 */
import type { WorkerOptions } from '@temporalio/worker';
import { deploymentNameFor, type CloConfig } from '../temporal.config';

/**
 * What a workflow type without its own `versioningBehavior` (workflows/index.ts sets one for
 * each) does: PINNED, so a workflow added without a thought about deploys keeps running on the
 * code it started on rather than replaying on new code that may not be compatible.
 */
export const DEFAULT_VERSIONING_BEHAVIOR = 'PINNED' as const;

/**
 * The `workerDeploymentOptions` for Workers on `taskQueue` (the deployment name defaults to it),
 * or undefined when no build id is configured: the worker is then unversioned, as before.
 */
export function workerDeploymentOptionsFor(
  config: CloConfig,
  taskQueue: string,
): WorkerOptions['workerDeploymentOptions'] {
  const { buildId } = config.worker;
  if (!buildId) return undefined;
  return {
    useWorkerVersioning: true,
    version: { deploymentName: deploymentNameFor(config, taskQueue), buildId },
    defaultVersioningBehavior: DEFAULT_VERSIONING_BEHAVIOR,
  };
}
