/**
 * Starts one real Temporal cluster (four services on a private PostgreSQL, client/cluster)
 * and one vcsim for the whole `cluster` run, and bundles the workflow code once; tests read
 * where they are from CLO_TEST_CLUSTER (cluster-info.ts).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startCluster } from '../../client/cluster';
import { ensureClusterTools, startVcsim } from '../../client/dev-stack';
import { sealedFailureConverterPath } from '../../codec/data-converter';
import type { ClusterTestInfo } from './cluster-info';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // First, alone: a cold machine builds the Temporal server here (minutes), reported apart.
  const tools = await ensureClusterTools();
  const toolsMs = Date.now() - started;
  const dir = await mkdtemp(join(tmpdir(), 'clo-cluster-run-'));
  const clusterDir = join(dir, 'cluster');
  const [cluster, vcsim, bundle, sealedBundle] = await Promise.all([
    startCluster({ dir: clusterDir }),
    startVcsim({ bin: tools.vcsim }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger }),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      failureConverterPath: sealedFailureConverterPath,
      logger: quietLogger,
    }),
  ]);
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, bundle.code);
  const sealedWorkflowBundlePath = join(dir, 'workflow-bundle-sealed-failures.js');
  await writeFile(sealedWorkflowBundlePath, sealedBundle.code);
  const info: ClusterTestInfo = {
    temporalAddress: cluster.address,
    namespace: cluster.namespace,
    temporalBin: tools.temporal,
    vcsim: { url: vcsim.url, datastore: vcsim.datastore },
    workflowBundlePath,
    sealedWorkflowBundlePath,
    dir,
    clusterDir,
    serverVersion: tools.temporalServerVersion,
  };
  process.env.CLO_TEST_CLUSTER = JSON.stringify(info);
  (globalThis as Record<string, unknown>).__CLO_CLUSTER_STOP__ = async () => {
    await Promise.allSettled([cluster.stop(), vcsim.stop()]);
  };
  console.log(
    `\n[cluster] Temporal ${tools.temporalServerVersion} cluster ${cluster.address} (PostgreSQL, 4 services), ` +
      `vcsim ${vcsim.url}, tools ${toolsMs} ms, ready in ${Date.now() - started} ms`,
  );
}

const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
