/**
 * The cluster's services from a test: each runs as its own process, recorded in the
 * cluster's `cluster.json`, so a test (in a Jest worker, not the process that started them)
 * can restart one, e.g. history in the middle of a fleet of sagas.
 */
import { readClusterState, restartService, type ServiceName } from '../../client/cluster';
import { clusterInfo } from './cluster-info';

/**
 * Stops `name` (SIGTERM, or SIGKILL with `kill`) and starts it again on the same ports;
 * resolves once a workflow runs through the cluster again.
 */
export async function restartClusterService(name: ServiceName, opts: { kill?: boolean } = {}): Promise<void> {
  await restartService(clusterInfo().clusterDir, name, opts);
}

/** The pid each service runs as now. */
export async function clusterServicePids(): Promise<Record<ServiceName, number>> {
  const state = await readClusterState(clusterInfo().clusterDir);
  if (!state) throw new Error(`no cluster.json in ${clusterInfo().clusterDir}: has the cluster stopped?`);
  return {
    frontend: state.services.frontend.pid,
    history: state.services.history.pid,
    matching: state.services.matching.pid,
    worker: state.services.worker.pid,
  };
}
