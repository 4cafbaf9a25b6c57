/** What the `cluster` project's global setup started, as tests see it (CLO_TEST_CLUSTER). */
import type { StackInfo } from '../stack/stack-info';

/**
 * Like the stack's {@link StackInfo} (same field names, so helpers written for one read the
 * other), without the TLS vcsim and the codec server, plus the cluster's own directory: its
 * `cluster.json` names each service's pid, ports and log (client/cluster/processes.ts).
 */
export type ClusterTestInfo = Omit<StackInfo, 'vcsimTls' | 'codec' | 'uiUrl'> & {
  /** The cluster's directory: `cluster.json`, `config/`, `logs/<service>.log`. */
  clusterDir: string;
  /** Temporal server release the cluster runs. */
  serverVersion: string;
};

/** The running cluster; fails clearly if the test was started outside the `cluster` project. */
export function clusterInfo(): ClusterTestInfo {
  const raw = process.env.CLO_TEST_CLUSTER;
  if (!raw)
    throw new Error(
      'CLO_TEST_CLUSTER is not set: run this test in the jest `cluster` project (npx jest --selectProjects cluster)',
    );
  return JSON.parse(raw) as ClusterTestInfo;
}
