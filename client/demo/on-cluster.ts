/**
 * `clo demo --address <host:port>`: the demo against a Temporal that is already running (the
 * cluster of `clo cluster up`) and the workers already polling it, instead of the embedded
 * stack. It reads the clo config `clo cluster up` wrote (--config, else $CLO_CONFIG_FILE, else
 * .clo/cluster/clo.json), so it makes its libraries on the same vcsim the workers use and writes
 * its files under their roots. It starts no worker of its own: the point is to watch the
 * fleet do the work, and a private worker would hide a fleet that is not there. With no
 * worker polling it stops before starting anything and says which command starts one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig, resolveVCenterCredentials, TemporalConfig } from '../../temporal.config';
import { connectClient } from '../connection';
import { InvalidInputError, NotFoundError } from '../errors';
import { DEFAULT_CLUSTER_DIR, cloCommand, clusterConfigFile, workerCommand } from '../fleet-hints';
import { livePollers } from '../worker-watch';
import { runDemoSteps } from './steps';

export interface ClusterDemoOptions {
  address: string;
  namespace?: string;
  config?: string;
}

export async function runDemoOnCluster(opts: ClusterDemoOptions): Promise<void> {
  // Checked here, before the config: loadConfig would name TEMPORAL_ADDRESS, which the user did not set.
  if (!TemporalConfig.shape.address.safeParse(opts.address).success)
    throw new InvalidInputError(`--address ${opts.address}: expected host:port, e.g. 127.0.0.1:7233`);
  const configFile = findConfigFile(opts.config);
  const config = loadConfig({
    ...process.env,
    CLO_CONFIG_FILE: configFile,
    TEMPORAL_ADDRESS: opts.address,
    ...(opts.namespace ? { TEMPORAL_NAMESPACE: opts.namespace } : {}),
  });
  const vcenter = config.vcenters.default;
  if (!vcenter) {
    throw new InvalidInputError(
      `${configFile}: no vCenter named "default"; the demo uses the one \`clo cluster up\` writes (vcsim)`,
    );
  }
  const workDir = config.worker.writeRoots?.find((root) => config.worker.readRoots?.includes(root));
  if (!workDir) {
    throw new InvalidInputError(
      `${configFile}: worker.readRoots and worker.writeRoots share no directory; the demo writes its files there for the workers to read and write`,
    );
  }
  const { client, close } = await connectClient(config);
  try {
    const pollers = await livePollers(client, config.temporal.taskQueue);
    if (pollers.length === 0) {
      throw new NotFoundError(
        `no worker polls task queue "${config.temporal.taskQueue}" on ${config.temporal.address} ` +
          `(namespace ${config.temporal.namespace}); start one (the README starts three): ${workerCommand(configFile, 'a')}`,
      );
    }
    console.log(
      [
        `clo demo on ${config.temporal.address} (namespace ${config.temporal.namespace}), config ${configFile}`,
        `  vCenter        ${vcenter.url}`,
        `  workers        ${pollers.length} polling ${config.temporal.taskQueue}: ${pollers.join(', ')}`,
      ].join('\n'),
    );
    const outcome = await runDemoSteps({
      client,
      config,
      vcenter: { url: vcenter.url, ...resolveVCenterCredentials(vcenter) },
      datastore: datastoreOf(configFile),
      workDir,
    });
    const clo = `CLO_CONFIG_FILE=${configFile} ${cloCommand()}`;
    console.log(
      [
        '',
        'Look at it:',
        `  the upload:     ${clo} status ${outcome.uploadWorkflowId}`,
        `  the download:   ${clo} status ${outcome.downloadWorkflowId}`,
        `  by item:        ${clo} list --type upload --item ${outcome.itemId}`,
        `  the schedule:   ${clo} schedule describe ${outcome.scheduleName}  (delete it with schedule delete)`,
        '',
        'demo finished; the cluster and the workers keep running (`clo cluster down` stops them).',
      ].join('\n'),
    );
  } finally {
    await close();
  }
}

/** --config, else $CLO_CONFIG_FILE, else the default cluster directory's; it must exist. */
function findConfigFile(flag: string | undefined): string {
  const [file, from] = flag
    ? [flag, '--config']
    : process.env.CLO_CONFIG_FILE
      ? [process.env.CLO_CONFIG_FILE, 'CLO_CONFIG_FILE']
      : [clusterConfigFile(DEFAULT_CLUSTER_DIR), `the default (${DEFAULT_CLUSTER_DIR}/clo.json)`];
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new InvalidInputError(
      `${from}: no clo config at ${path}; run \`clo cluster up\` first (it writes <dir>/clo.json), or pass --config <that file>`,
    );
  }
  return path;
}

/**
 * The datastore for the demo's libraries: `clo cluster up` keeps vcsim's endpoint (which names
 * it) in vcsim.json beside clo.json. vcsim makes a new one each start, so no config names it.
 */
function datastoreOf(configFile: string): string {
  const file = resolve(dirname(configFile), 'vcsim.json');
  try {
    const { datastore } = JSON.parse(readFileSync(file, 'utf8')) as { datastore?: unknown };
    if (typeof datastore === 'string' && datastore) return datastore;
  } catch {
    // Said below.
  }
  throw new InvalidInputError(
    `${file}: no vcsim datastore recorded; the demo on a cluster needs the config of \`clo cluster up\` (its directory holds vcsim.json), so pass --config <cluster dir>/clo.json`,
  );
}
