/**
 * `clo cluster up|down|status`: a Temporal cluster on PostgreSQL (client/cluster: four service
 * processes and a private PostgreSQL, recorded in `<dir>/cluster.json`) plus a vcsim, all
 * detached so they outlive the command, and a clo config file for the fleet's workers
 * (`<dir>/clo.json`). vcsim is recorded in `<dir>/vcsim.json` (pid, arguments, endpoint), so a
 * later `down` or `status` in another process finds everything from the directory alone.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readClusterState, startCluster, stopCluster, type ClusterState } from './cluster';
import { isServiceProcess, refuseBusyPort, stopProcess } from './cluster/processes';
import { ensureTools, VcsimEndpoint } from './dev-stack';

/** What likely holds a port `clo cluster up` wants. */
const CLUSTER_SUSPECT = '`clo dev`? another cluster?';

export const VCSIM_STATE_FILE = 'vcsim.json';
export const CONFIG_FILE = 'clo.json';

const VcsimState = VcsimEndpoint.extend({ args: z.array(z.string()), log: z.string() });
type VcsimState = z.infer<typeof VcsimState>;

/** What runs in a cluster directory, as `up` left it and as it is now. */
export interface FleetState {
  dir: string;
  cluster?: ClusterState;
  vcsim?: VcsimState;
  /** Each recorded process and whether it still runs. */
  processes: { name: string; pid: number; ports: string; alive: boolean }[];
}

/** Reads the directory's records and checks each recorded process. */
export async function inspect(dir: string): Promise<FleetState> {
  const cluster = await readClusterState(dir);
  const vcsim = await readVcsimState(dir);
  const processes: FleetState['processes'] = [];
  if (cluster) {
    const pg = postgresPid(cluster);
    processes.push({
      name: 'postgres',
      pid: pg ?? 0,
      ports: String(cluster.postgres.port),
      alive: pg !== undefined,
    });
    for (const [name, service] of Object.entries(cluster.services)) {
      const { grpc, membership, http } = service.ports;
      processes.push({
        name: `temporal ${name}`,
        pid: service.pid,
        ports: [`grpc ${grpc}`, `membership ${membership}`, ...(http ? [`http ${http}`] : [])].join(', '),
        alive: isServiceProcess(service.pid, service.args),
      });
    }
  }
  if (vcsim) {
    processes.push({
      name: 'vcsim',
      pid: vcsim.pid,
      ports: vcsim.url,
      alive: isServiceProcess(vcsim.pid, vcsim.args.slice(1)),
    });
  }
  return { dir, ...(cluster ? { cluster } : {}), ...(vcsim ? { vcsim } : {}), processes };
}

/** Starts the cluster and vcsim, whichever does not run already; writes clo.json. */
export async function up(opts: {
  dir: string;
  port?: number;
  vcsimPort?: number;
  log: (line: string) => void;
}): Promise<{ state: FleetState; started: string[] }> {
  await mkdir(opts.dir, { recursive: true });
  const before = await inspect(opts.dir);
  const clusterUp =
    before.cluster !== undefined && before.processes.every((p) => p.name === 'vcsim' || p.alive);
  const vcsimUp = before.processes.some((p) => p.name === 'vcsim' && p.alive);
  const started: string[] = [];
  if (before.cluster && !clusterUp) {
    // Recorded here but not all running (a reboot, a kill): what is left of it goes first.
    await stopCluster(opts.dir);
  }
  if (!clusterUp) {
    if (opts.port !== undefined)
      await refuseBusyPort(opts.port, '--port', 'the Temporal frontend', CLUSTER_SUSPECT);
    opts.log(
      `starting the Temporal cluster in ${opts.dir} (PostgreSQL and four services; a first start on this machine builds the server)`,
    );
    await startCluster({
      dir: opts.dir,
      detached: true,
      ...(opts.port !== undefined ? { frontendPort: opts.port } : {}),
      log: opts.log,
    });
    started.push('Temporal cluster');
  }
  if (!vcsimUp) {
    if (opts.vcsimPort !== undefined)
      await refuseBusyPort(opts.vcsimPort, '--vcsim-port', 'vcsim', CLUSTER_SUSPECT);
    opts.log('starting vcsim');
    await startDetachedVcsim(opts.dir, opts.vcsimPort ?? 0);
    started.push('vcsim');
  }
  const state = await inspect(opts.dir);
  if (started.length || !existsSync(join(opts.dir, CONFIG_FILE))) await writeFleetConfig(state);
  return { state, started };
}

/** Stops whatever the directory records; returns a line per process it stopped. */
export async function down(dir: string): Promise<string[]> {
  const before = await inspect(dir);
  const running = before.processes.filter((p) => p.alive).map((p) => `${p.name} (pid ${p.pid})`);
  const vcsim = before.vcsim;
  await Promise.all([
    before.cluster ? stopCluster(dir) : undefined,
    vcsim
      ? stopProcess(vcsim.pid, vcsim.args.slice(1)).then(() =>
          rm(join(dir, VCSIM_STATE_FILE), { force: true }),
        )
      : undefined,
  ]);
  return running;
}

/** The clo config for the fleet: the cluster's address and namespace, vcsim as `default`, roots under the dir. */
async function writeFleetConfig(state: FleetState): Promise<void> {
  const { cluster, vcsim } = state;
  if (!cluster || !vcsim)
    throw new Error(`${state.dir}: the cluster or vcsim is not recorded after starting`);
  // Workers read and write only here: the demo's files and whatever a person puts here to
  // upload. CLO_READ_ROOTS / CLO_WRITE_ROOTS widen it for a worker (docs/security.md).
  const files = join(state.dir, 'files');
  await mkdir(files, { recursive: true });
  const config = {
    temporal: { address: cluster.address, namespace: cluster.namespace },
    // vcsim accepts any user name and password; these are the simulator's, not a secret.
    vcenters: { default: { url: vcsim.url, username: 'user', password: 'pass', allowPlainHttp: true } },
    worker: { readRoots: [files], writeRoots: [files] },
  };
  await writeFile(join(state.dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}

/**
 * vcsim in its own process group, stdout (whose first line is the endpoint) and stderr in
 * files of the dir, so it outlives this command; resolves once the endpoint is printed.
 */
async function startDetachedVcsim(dir: string, port: number): Promise<void> {
  const { vcsim: bin } = await ensureTools();
  const args = ['-listen', `127.0.0.1:${port}`];
  const out = join(dir, 'vcsim.out');
  const log = join(dir, 'vcsim.log');
  await rm(out, { force: true });
  const [outFd, logFd] = [openSync(out, 'w'), openSync(log, 'a')];
  let pid: number | undefined;
  try {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', outFd, logFd] });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(outFd);
    closeSync(logFd);
  }
  if (pid === undefined) throw new Error(`could not start vcsim (${bin})`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const first = (await readFile(out, 'utf8')).split('\n');
    if (first.length > 1) {
      const endpoint = VcsimEndpoint.parse(JSON.parse(first[0]!));
      const state: VcsimState = { ...endpoint, pid, args: [bin, ...args], log };
      await writeFile(join(dir, VCSIM_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
      return;
    }
    if (!isServiceProcess(pid, args) || Date.now() > deadline) {
      await stopProcess(pid, args);
      const tail = readFileSync(log, 'utf8').slice(-2000).trim();
      throw new Error(`vcsim did not start (${bin} ${args.join(' ')}); its log ${log} ends:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readVcsimState(dir: string): Promise<VcsimState | undefined> {
  try {
    return VcsimState.parse(JSON.parse(await readFile(join(dir, VCSIM_STATE_FILE), 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${join(dir, VCSIM_STATE_FILE)}: not a vcsim record (${(err as Error).message})`);
  }
}

/** PostgreSQL's postmaster pid, when its pid file names a running process. */
function postgresPid(cluster: ClusterState): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(cluster.postgres.root, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    return Number.isInteger(pid) && isServiceProcess(pid, []) ? pid : undefined;
  } catch {
    return undefined;
  }
}
