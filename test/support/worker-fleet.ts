/**
 * A fleet of real `clo worker` processes standing in for separate hosts: each has its own host id
 * (`<hostIdPrefix>-<i>`, so its own host queue `<taskQueue>@<hostId>`) and its own "disk", a
 * directory that is its only write root. A test can SIGKILL one the way a crash would and start
 * it again under the same host id, on the same disk, as a host that reboots.
 *
 * Downloads name one absolute destination for whichever host answers first, as on real hosts that
 * each mount their own volume at the same path. Processes on one machine share one file system,
 * so {@link WorkerFleet.localDisk} is a symbolic link to `/proc/self/cwd`, and each worker runs
 * in its own disk: the same path resolves, in each worker, to that worker's disk (the worker
 * resolves symbolic links before checking its write roots and reports the resolved destination).
 */
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CloConfig } from '../../temporal.config';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export interface WorkerFleetOptions {
  /** The config every worker starts from (its `worker.hostId` and `worker.writeRoots` are replaced). */
  config: CloConfig;
  count: number;
  /** Worker i gets host id `<hostIdPrefix>-<i>`. */
  hostIdPrefix: string;
  /** Where config files, the disks (`disk-<i>`) and the `local-disk` link go. */
  dir: string;
  /** Extra environment for every worker (e.g. CLO_WORKFLOW_BUNDLE). */
  env?: NodeJS.ProcessEnv;
  /** Extra `clo worker` arguments. */
  args?: string[];
}

export interface WorkerFleet {
  /** The running process of each host (a restart replaces the entry). */
  workers: WorkerProcess[];
  hostIds: string[];
  /** Each host's disk: its only write root. */
  disks: string[];
  /** A path that resolves, in each worker, to that worker's own disk (see the file comment). */
  localDisk: string;
  /** `<taskQueue>@<hostId>` of host i: where the downloads it starts run. */
  hostTaskQueue(i: number): string;
  /**
   * The host whose process (current or earlier: `pid@hostname`, the SDK's default worker
   * identity) is `identity`; -1 for none of this fleet's.
   */
  hostOf(identity: string | undefined): number;
  /** SIGKILL host i's worker: no graceful shutdown, no chance to report anything. */
  killOne(i: number): Promise<void>;
  /** Starts host i's worker again, same host id and disk (after killOne, or to replace a live one). */
  restart(i: number): Promise<WorkerProcess>;
  /** SIGTERM every worker and wait (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Uses the workflow bundle of the cluster run (CLO_TEST_CLUSTER) like worker-process.ts uses the
 * stack's, so no worker bundles the workflows at start-up (seconds of CPU each).
 */
function clusterWorkflowBundle(): NodeJS.ProcessEnv {
  const raw = process.env.CLO_TEST_CLUSTER;
  const path = raw ? (JSON.parse(raw) as { workflowBundlePath?: string }).workflowBundlePath : undefined;
  return path && !process.env.CLO_TEST_STACK ? { CLO_WORKFLOW_BUNDLE: path } : {};
}

/** Starts `count` workers at once; resolves when every one has said "worker started". */
export async function startWorkerFleet(opts: WorkerFleetOptions): Promise<WorkerFleet> {
  const { config, count, hostIdPrefix, dir } = opts;
  const hostIds = Array.from({ length: count }, (_, i) => `${hostIdPrefix}-${i}`);
  const disks = hostIds.map((_, i) => join(dir, `disk-${i}`));
  await Promise.all(disks.map(async (d) => mkdir(d, { recursive: true })));
  const localDisk = join(dir, 'local-disk');
  await symlink('/proc/self/cwd', localDisk);
  const env = { ...clusterWorkflowBundle(), ...opts.env };
  const generation = hostIds.map(() => 0);
  /** Every pid a host has run under, for identities in history that name a killed process. */
  const pids = new Map<number, number>();

  const start = async (i: number): Promise<WorkerProcess> => {
    const own: CloConfig = {
      ...config,
      worker: { ...config.worker, hostId: hostIds[i], writeRoots: [disks[i]!] },
    };
    const name = `${hostIds[i]}.${generation[i]}`;
    generation[i] = generation[i]! + 1;
    const w = await startWorkerProcess(own, dir, name, opts.args ?? [], env, disks[i]);
    pids.set(w.child.pid!, i);
    return w;
  };

  const workers = await Promise.all(hostIds.map(async (_, i) => start(i)));
  const fleet: WorkerFleet = {
    workers,
    hostIds,
    disks,
    localDisk,
    hostTaskQueue: (i) => `${config.temporal.taskQueue}@${hostIds[i]}`,
    hostOf: (identity) => pids.get(Number(identity?.split('@')[0])) ?? -1,
    killOne: async (i) => workers[i]!.kill(),
    restart: async (i) => {
      if (workers[i]!.child.exitCode === null && workers[i]!.child.signalCode === null)
        await workers[i]!.kill();
      workers[i] = await start(i);
      return workers[i];
    },
    stop: async (graceMs = 30_000) => {
      await Promise.all(
        workers.map(async (w) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) return;
          const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
          await w.stop();
          clearTimeout(timer);
        }),
      );
    },
  };
  return fleet;
}
