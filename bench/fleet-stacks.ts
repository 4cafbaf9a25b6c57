/**
 * What bench:fleet compares: the Temporal services under test (the dev server, the cluster on
 * PostgreSQL), fleets of `clo worker` processes polling them, and the CPU each group of
 * processes used while a figure was taken.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { CloConfig } from '../temporal.config';
import { startWorkerFleet, type WorkerFleet } from '../test/support/worker-fleet';
import { cpuSeconds, type BenchStack } from './common';

/** Temporal as a client and its workers see it, plus the processes that serve it. */
export interface TemporalUnderTest {
  name: 'dev server' | 'cluster';
  address: string;
  namespace: string;
  client: Client;
  /** Every process serving it now (the cluster: its four services, PostgreSQL and its backends). */
  pids(): Promise<number[]>;
  close(): Promise<void>;
}

/** The dev server the bench stack already runs (startBenchStack). */
export function devServer(stack: BenchStack): TemporalUnderTest {
  const pid = stack.temporal.process.pid!;
  return {
    name: 'dev server',
    address: stack.temporal.address,
    namespace: 'default',
    client: stack.client,
    pids: () => descendants([pid]),
    close: async () => {}, // the bench stack stops it
  };
}

/** A fresh Temporal cluster on PostgreSQL in `dir` (client/cluster), as the fleet test runs it. */
export async function cluster(dir: string, log: (line: string) => void): Promise<TemporalUnderTest> {
  // Loaded only when the cluster is compared (BENCH_FLEET_STACKS), not for a dev-server-only run.
  const { startCluster, readClusterState } = await import('../client/cluster');
  const running = await startCluster({ dir, log });
  const state = await readClusterState(dir);
  // PostgreSQL runs from a directory of its own (its data dir outside `dir`).
  const named = [running.dir, ...(state ? [state.postgres.root] : [])];
  const connection = await Connection.connect({ address: running.address });
  return {
    name: 'cluster',
    address: running.address,
    namespace: running.namespace,
    client: new Client({ connection, namespace: running.namespace }),
    // Its services name the cluster's directory in their arguments, the postmaster its data
    // directory; the PostgreSQL backends that do the writing are the postmaster's children.
    pids: async () => descendants((await Promise.all(named.map(pidsNaming))).flat()),
    async close() {
      await connection.close();
      await running.stop();
    },
  };
}

/** Starts `count` `clo worker` processes on `config`'s task queue, host ids `<prefix>-<i>`. */
export async function fleetOn(
  stack: BenchStack,
  config: CloConfig,
  prefix: string,
  count: number,
): Promise<WorkerFleet> {
  const fleet = await startWorkerFleet({
    config,
    count,
    hostIdPrefix: prefix,
    dir: join(stack.dir, `fleet-${prefix}`),
    // As `clo worker` runs deployed: the workflow bundle built beforehand.
    env: { CLO_WORKFLOW_BUNDLE: stack.bundle },
  });
  // For `perf record -p` while the bench runs.
  console.error(`${prefix}: worker pid(s) ${fleet.workers.map((w) => w.child.pid).join(' ')}`);
  return fleet;
}

/** Pids of live processes whose command line contains `text`. */
async function pidsNaming(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(Number(entry));
  }
  return found;
}

/** `roots` and every live process below them. */
async function descendants(roots: number[]): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (stat) parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const all = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent)
      if (all.has(ppid) && !all.has(pid)) {
        all.add(pid);
        grew = true;
      }
  }
  return [...all];
}

/** CPU seconds each live pid has used so far (a process gone meanwhile reads as absent). */
async function cpuByPid(pids: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const s = await cpuSeconds(pid).catch(() => undefined);
    if (s !== undefined) out.set(pid, s);
  }
  return out;
}

/** Busy core-seconds of the whole machine so far (every process, other people's too), from /proc/stat. */
async function machineBusySeconds(): Promise<number> {
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/** Groups of processes whose CPU a figure is printed with, each listed afresh when measured. */
export type Groups = Record<string, () => Promise<number[]>>;

export interface Measured {
  seconds: number;
  /** CPU seconds per group, plus `bench` (this process: the client and the simulator) and `machine` (everything). */
  cpu: Record<string, number>;
}

/** Wall seconds of `run` and the CPU seconds each group used meanwhile. */
export async function measure(groups: Groups, run: () => Promise<void>): Promise<Measured> {
  const listed = Object.fromEntries(
    await Promise.all(Object.entries(groups).map(async ([k, list]) => [k, await list()] as const)),
  );
  const before = Object.fromEntries(
    await Promise.all(Object.entries(listed).map(async ([k, pids]) => [k, await cpuByPid(pids)] as const)),
  );
  const self = process.cpuUsage();
  const machine = await machineBusySeconds();
  const started = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const own = process.cpuUsage(self);
  const machineAfter = await machineBusySeconds();
  const cpu: Record<string, number> = {};
  for (const [k, list] of Object.entries(groups)) {
    // Listed again: a PostgreSQL backend that started meanwhile counts from zero.
    const after = await cpuByPid([...new Set([...listed[k]!, ...(await list())])]);
    cpu[k] = [...after].reduce((sum, [pid, s]) => sum + s - (before[k]!.get(pid) ?? 0), 0);
  }
  cpu.bench = (own.user + own.system) / 1e6;
  cpu.machine = machineAfter - machine;
  return { seconds, cpu };
}
