/**
 * clo on a real Temporal cluster (client/cluster: frontend, history, matching and worker as
 * separate processes on PostgreSQL, built from go.temporal.io/server): an upload saga on
 * vcsim, pinned to its worker's build (Worker Versioning's deployment workflows run on the
 * cluster's worker service), found by clo's search attributes through SQL visibility, whose
 * rows are in PostgreSQL; then the history service restarts and the next saga runs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeVersioningBehavior } from '@temporalio/common';
import type { ContentLibraryClient } from '../../activities/content-library';
import { readClusterState } from '../../client/cluster';
import { setCurrentVersion } from '../../client/deployments';
import { startUpload } from '../../client/upload';
import { deploymentNameFor } from '../../temporal.config';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import type { TestWorker } from '../stack/harness';
import { clusterInfo } from './cluster-info';
import { clusterTestConfig, startClusterWorker } from './harness';
import { clusterServicePids, restartClusterService } from './services';

const BUILD = 'cluster-smoke';

/** One value from the cluster's PostgreSQL, by psql over its socket (as the account the server runs as). */
async function psql(database: string, sql: string): Promise<string> {
  const state = await readClusterState(clusterInfo().clusterDir);
  if (!state) throw new Error('no cluster.json');
  const { root, port, bin, runAs } = state.postgres;
  const argv = ['-h', root, '-p', String(port), '-U', 'temporal', '-d', database, '-tAc', sql];
  const [file, args] = runAs
    ? ['runuser', ['-u', runAs, '--', join(bin, 'psql'), ...argv]]
    : [join(bin, 'psql'), argv];
  return (await promisify(execFile)(file, args)).stdout.trim();
}

describe('clo on a Temporal cluster on PostgreSQL', () => {
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-cluster-smoke-'));
    const config = clusterTestConfig();
    config.worker.buildId = BUILD;
    worker = await startClusterWorker(config);
    rest = restClient(clusterInfo().vcsim.url);
    library = await createTestLibrary(rest, clusterInfo().vcsim.datastore);
    // A versioned worker gets new workflows once its version is current; the version exists
    // once its pollers have reached matching. Its download queue is this host's, hence ignore.
    await waitFor('the build to become the current version', () =>
      setCurrentVersion(worker.client, deploymentNameFor(config), BUILD, {
        ignoreMissingTaskQueues: true,
      }).then(
        () => true,
        () => false,
      ),
    );
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (name: string) => {
    const file = await writeRandomFile(join(dir, name), 1024 * 1024 + 7, name);
    const handle = await startUpload(
      worker.client,
      {
        vcenter: 'vcsim',
        library: { id: library.id },
        item: { name },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: worker.taskQueue, config: worker.config },
    );
    const result = await handle.result();
    expect(await readItemBack(rest, result.itemId)).toEqual({ [name]: { size: file.size, sha1: file.sha1 } });
    return { handle, result };
  };

  it('runs an upload saga pinned to its build and finds it by clo search attributes in PostgreSQL visibility', async () => {
    const { handle, result } = await upload('first.iso');
    const versioning = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
    expect(decodeVersioningBehavior(versioning?.behavior)).toBe('PINNED');
    expect(versioning?.deploymentVersion?.buildId).toBe(BUILD);

    // Visibility is written after the fact (history's visibility queue): wait for the closed row.
    const query = `CloItemId = '${result.itemId}' AND CloVCenter = 'vcsim' AND ExecutionStatus = 'Completed'`;
    let found: string[] = [];
    await waitFor(`a List query by ${query}`, async () => {
      found = [];
      for await (const execution of worker.client.workflow.list({ query })) found.push(execution.workflowId);
      return found.length > 0;
    });
    expect(found).toEqual([handle.workflowId]);
    // The same row, read from PostgreSQL itself: the SQL visibility store answered, not a cache.
    // Custom search attributes are stored under the namespace's column aliases (Keyword01...):
    // the item id appears among the row's values. status 2 is COMPLETED.
    const rows = await psql(
      'temporal_visibility',
      `SELECT count(*) FROM executions_visibility WHERE workflow_id = '${handle.workflowId}' ` +
        `AND status = 2 AND search_attributes::text LIKE '%${result.itemId}%'`,
    );
    expect(rows).toBe('1');
  });

  it('runs the next saga after the history service restarts', async () => {
    const before = await clusterServicePids();
    await restartClusterService('history');
    const after = await clusterServicePids();
    expect(after.history).not.toBe(before.history);
    expect({ ...after, history: 0 }).toEqual({ ...before, history: 0 });
    const { result } = await upload('second.iso');
    expect(result.itemCreated).toBe(true);
  });
});
