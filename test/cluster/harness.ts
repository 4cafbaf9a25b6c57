/** A clo config and an in-process worker pointed at the `cluster` project's Temporal cluster. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterOptions } from '../../codec/data-converter';
import { CloConfig } from '../../temporal.config';
import { createWorker } from '../../worker/create-worker';
import { allowPlainHttpForSimulators, quietRuntime, TEST_ROOTS, type TestWorker } from '../stack/harness';
import { clusterInfo } from './cluster-info';

/** Like the stack's testConfig: vCenter `vcsim` (HTTP) and any extra ones, roots in the temp dir. */
export function clusterTestConfig(
  extraVCenters: Record<string, unknown> = {},
  taskQueue = `cluster-${randomUUID()}`,
): CloConfig {
  const cluster = clusterInfo();
  return CloConfig.parse({
    temporal: { address: cluster.temporalAddress, namespace: cluster.namespace, taskQueue },
    vcenters: allowPlainHttpForSimulators({
      vcsim: { url: cluster.vcsim.url, username: 'user', password: 'pass' },
      ...extraVCenters,
    }),
    timeouts: { keepAliveIntervalMs: '5s', heartbeatTimeoutMs: '10s' },
    worker: { ...TEST_ROOTS },
  });
}

/** A worker (createWorker, as `clo worker` runs it) polling the cluster in the background; `stop()` in afterAll. */
export async function startClusterWorker(config: CloConfig): Promise<TestWorker> {
  quietRuntime();
  const cluster = clusterInfo();
  const nativeConnection = await NativeConnection.connect({ address: cluster.temporalAddress });
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  const client = new Client({ connection, namespace: cluster.namespace, ...dataConverterOptions(config) });
  const worker = await createWorker({
    config,
    connection: nativeConnection,
    workflowBundle: {
      codePath: config.temporal.encryption ? cluster.sealedWorkflowBundlePath : cluster.workflowBundlePath,
    },
  });
  const running = worker.worker.run();
  return {
    client,
    taskQueue: config.temporal.taskQueue,
    config,
    stop: async () => {
      if (worker.worker.getState() === 'RUNNING') worker.worker.shutdown();
      await running;
      await worker.close();
      await connection.close();
      await nativeConnection.close();
    },
  };
}
