/** A clo config and an in-process worker pointed at the `cluster` project's Temporal cluster. */
import { randomUUID } from 'node:crypto';
import type { CloConfig } from '../../temporal.config';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { clusterInfo } from './cluster-info';

/** Like the stack's testConfig: vCenter `vcsim` (HTTP) and any extra ones, roots in the temp dir. */
export function clusterTestConfig(
  extraVCenters: Record<string, unknown> = {},
  taskQueue = `cluster-${randomUUID()}`,
): CloConfig {
  return testConfig(extraVCenters, taskQueue, clusterInfo());
}

/** A worker (createWorker, as `clo worker` runs it) polling the cluster in the background; `stop()` in afterAll. */
export function startClusterWorker(config: CloConfig): Promise<TestWorker> {
  return startTestWorker(config, clusterInfo());
}
