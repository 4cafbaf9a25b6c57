/**
 * `npm run bench:many`: many small items, where the control plane (workflow tasks, activity
 * dispatch, REST calls) is all there is to measure, not bytes.
 *
 * 1. sync: `syncLibrary` of a catalog directory of BENCH_MANY_ITEMS small ISOs (1 KiB each)
 *    into an empty library (every item a child upload saga), then the same sync again with
 *    nothing changed (every item only planned: its stamp compared, no upload). Items per second
 *    of each run. One worker process. BENCH_ITEM_CONCURRENCY lists the sync's itemConcurrency
 *    values to compare (each into its own library, side by side in the same run).
 * 2. uploads: BENCH_MANY_UPLOADS tiny uploads started at once from the client API
 *    (startUpload), each into its own new item, with 1 worker process polling the task queue and
 *    with 2; rounds alternate which goes first. Uploads per second from the first start to the
 *    last result.
 *
 * Each figure comes with the CPU seconds every process used meanwhile (worker(s), the Temporal
 * dev server, the target when it runs apart (vcsim), and this process, which holds the client
 * and the simulator): on this 2-core machine, whichever is near `wall seconds x 2` is the limit.
 *
 *   BENCH_TARGETS           simulator and/or vcsim (default simulator: vcsim serializes every
 *                           request behind one lock, so it measures vcsim; see docs/benchmarks.md)
 *   BENCH_MANY_PARTS        sync and/or uploads (default both)
 *   BENCH_MANY_ITEMS        items in the catalog (default 1000)
 *   BENCH_ITEM_CONCURRENCY  the sync's itemConcurrency values, comma-separated (default 2,8)
 *   BENCH_MANY_UPLOADS      tiny uploads started at once (default 200)
 *   BENCH_MANY_WORKERS      worker processes per upload contender (default 1,2)
 *   BENCH_ROUNDS            rounds of the upload comparison (default 2)
 *   BENCH_MANY_VARIANTS     settings to compare side by side, each on its own dev server, as JSON:
 *                           {"name": {"dynamicConfig": {KEY: value}, "nodeOptions": "--flag"}}
 *                           (dev server dynamic config over the shipped one, the workers'
 *                           NODE_OPTIONS instead of the shipped ones; default one variant, as shipped)
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ContentLibraryClient } from '../activities/content-library';
import type { SyncResult } from '../client/sync';
import { CloConfig } from '../temporal.config';
import { writeRandomFile } from '../test/fixtures/content';
import { Client, Connection } from '@temporalio/client';
import { ensureTools, startTemporalDevServer, type RunningTemporal } from '../client/dev-stack';
import { startWorkerProcess, WORKER_NODE_OPTIONS, type WorkerProcess } from '../test/support/worker-process';
import {
  cpuSeconds,
  loadAverage,
  median,
  startBenchStack,
  type BenchStack,
  type BenchTarget,
} from './common';
import { alternate } from './peers';
import { syncOnce, TINY, uploadBatch, writeCatalog } from './small-items';

const ITEMS = Number(process.env.BENCH_MANY_ITEMS ?? 1000);
const UPLOADS = Number(process.env.BENCH_MANY_UPLOADS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PARTS = (process.env.BENCH_MANY_PARTS ?? 'sync,uploads').split(',');
const ITEM_CONCURRENCY = (process.env.BENCH_ITEM_CONCURRENCY ?? '2,8').split(',').map(Number);
const WORKER_COUNTS = (process.env.BENCH_MANY_WORKERS ?? '1,2').split(',').map(Number);

/** The processes whose CPU a figure is printed with, by name. */
type Pids = Record<string, number>;

/** Wall seconds of `run` and the CPU seconds each process in `pids` (and this one, as `bench`) used meanwhile. */
export async function measured<T>(
  pids: Pids,
  run: () => Promise<T>,
): Promise<{ seconds: number; cpu: Record<string, number>; value: T }> {
  const before = Object.fromEntries(
    await Promise.all(Object.entries(pids).map(async ([k, pid]) => [k, await cpuSeconds(pid)] as const)),
  );
  const self = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const own = process.cpuUsage(self);
  const cpu: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) cpu[k] = (await cpuSeconds(pid)) - before[k]!;
  cpu.bench = (own.user + own.system) / 1e6;
  return { seconds, cpu, value };
}

/** "worker 150, temporal 90, …": each process's CPU as `format` shows it (default ms per item), largest first. */
export function cpuCell(
  cpu: Record<string, number>,
  items: number,
  format = (seconds: number) => ((seconds * 1000) / items).toFixed(0),
): string {
  return Object.entries(cpu)
    .sort(([, a], [, b]) => b - a)
    .map(([k, s]) => `${k} ${format(s)}`)
    .join(', ');
}

/** A bench config for `target` on a fresh task queue of the dev server at `address`. */
export function benchConfig(
  stack: BenchStack,
  target: BenchTarget,
  address = stack.temporal.address,
): CloConfig {
  return CloConfig.parse({
    temporal: { address, namespace: 'default', taskQueue: `many-${randomUUID()}` },
    vcenters: { bench: { url: target.url, username: 'user', password: 'pass', allowPlainHttp: true } },
    timeouts: { keepAliveIntervalMs: '30s', heartbeatTimeoutMs: '30s' },
    worker: { readRoots: [stack.dir], writeRoots: [stack.dir] },
  });
}

/** Starts `count` worker processes on `config`'s task queue, as `clo worker` runs deployed (prebuilt bundle). */
export async function startWorkers(
  stack: BenchStack,
  config: CloConfig,
  name: string,
  count: number,
  env: NodeJS.ProcessEnv = {},
): Promise<WorkerProcess[]> {
  const workers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startWorkerProcess(config, stack.dir, `${name}-${i}`, [], {
        CLO_WORKFLOW_BUNDLE: stack.bundle,
        ...env,
      }),
    ),
  );
  // For `perf record -p` while the bench runs.
  console.error(`${name}: worker pid(s) ${workers.map((w) => w.child.pid).join(' ')}`);
  return workers;
}

/** The processes besides this one that do work for `target`. */
function serverPids(stack: BenchStack, setup: Setup, target: BenchTarget): Pids {
  return {
    temporal: setup.temporal.process.pid!,
    ...(target.name === 'vcsim' ? { vcsim: stack.vcsim.pid } : {}),
  };
}

/**
 * A setting under comparison: dynamic config over the dev server's own and/or the worker
 * processes' NODE_OPTIONS. Each variant gets its own dev server, so they run side by side.
 */
interface Variant {
  name: string;
  dynamicConfig?: Record<string, number | boolean | string>;
  nodeOptions?: string;
}

/** BENCH_MANY_VARIANTS: `{"name": {"dynamicConfig": {...}, "nodeOptions": "..."}, ...}` (default: one, as shipped). */
function variants(): Variant[] {
  const raw = process.env.BENCH_MANY_VARIANTS;
  if (!raw) return [{ name: 'as shipped' }];
  return Object.entries(JSON.parse(raw) as Record<string, Omit<Variant, 'name'>>).map(([name, v]) => ({
    name,
    ...v,
  }));
}

/** A variant's own dev server, client and worker settings. */
interface Setup {
  variant: Variant;
  client: Client;
  temporal: RunningTemporal;
  close(): Promise<void>;
}

async function setUp(variant: Variant): Promise<Setup> {
  const temporal = await startTemporalDevServer({
    bin: (await ensureTools()).temporal,
    uiPort: false,
    ...(variant.dynamicConfig ? { dynamicConfig: variant.dynamicConfig } : {}),
  });
  const connection = await Connection.connect({ address: temporal.address });
  return {
    variant,
    client: new Client({ connection }),
    temporal,
    async close() {
      await connection.close();
      await temporal.stop();
    },
  };
}

/** Worker processes for `setup` polling `config`'s task queue. */
async function workersFor(setup: Setup, stack: BenchStack, config: CloConfig, name: string, count: number) {
  const { nodeOptions } = setup.variant;
  return await startWorkers(stack, config, name, count, nodeOptions ? { NODE_OPTIONS: nodeOptions } : {});
}

async function syncPart(stack: BenchStack, setups: Setup[], target: BenchTarget, lines: string[]) {
  console.error(`${target.name}: writing ${ITEMS} catalog items...`);
  const catalog = await writeCatalog(join(stack.dir, `catalog-${target.name}`), ITEMS);
  const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
  const rows: string[] = [];
  try {
    for (const concurrency of ITEM_CONCURRENCY) {
      for (const setup of setups) {
        const config = benchConfig(stack, target, setup.temporal.address);
        const [worker] = await workersFor(setup, stack, config, `sync-${target.name}`, 1);
        const pids = { worker: worker!.child.pid!, ...serverPids(stack, setup, target) };
        try {
          const library = `many-${concurrency}-${randomUUID().slice(0, 6)}`;
          await rest.createLibrary({ name: library, datastore_id: target.datastore }, randomUUID());
          const once = async (expect: keyof SyncResult['counts']) =>
            measured(pids, () =>
              syncOnce(setup.client, config, library, catalog, concurrency, expect, ITEMS),
            );
          const label = `${target.name}: sync, ${setup.variant.name}, itemConcurrency ${concurrency}`;
          console.error(`${label}, first run...`);
          const first = await once('added');
          console.error(`${label}, unchanged second run...`);
          const second = await once('unchanged');
          rows.push(
            [
              setup.variant.name.padEnd(14),
              String(concurrency).padStart(15),
              first.seconds.toFixed(1).padStart(11),
              (ITEMS / first.seconds).toFixed(1).padStart(7),
              second.seconds.toFixed(1).padStart(15),
              (ITEMS / second.seconds).toFixed(1).padStart(7),
              cpuCell(first.cpu, ITEMS),
              cpuCell(second.cpu, ITEMS),
            ].join(' | '),
          );
        } finally {
          await worker!.stop();
        }
      }
    }
  } finally {
    await rest.close();
  }
  lines.push(
    `\nsync of ${ITEMS} catalog items (1 KiB ISOs) on ${target.name}, 1 worker; load ${await loadAverage()}`,
    'variant        | itemConcurrency | first run s | items/s | unchanged run s | items/s | CPU ms per item, first run | CPU ms per item, unchanged run',
    ...rows,
  );
}

async function uploadsPart(stack: BenchStack, setups: Setup[], target: BenchTarget, lines: string[]) {
  const tiny = await writeRandomFile(join(stack.dir, 'tiny.bin'), TINY, 'tiny');
  const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
  const lib = await rest.createLibrary(
    { name: `tiny-${randomUUID().slice(0, 6)}`, datastore_id: target.datastore },
    randomUUID(),
  );
  // Per variant, two task queues, one polled by one worker and one by two, so the rounds can
  // alternate without restarting workers (an idle worker's polls cost next to nothing).
  const started: WorkerProcess[] = [];
  const contenders: Array<[string, (round: number) => Promise<number>]> = [];
  const cpu: Record<string, string[]> = {};
  const failures: Record<string, number> = {};
  let firstFailure: string | undefined;
  try {
    for (const setup of setups) {
      for (const count of WORKER_COUNTS) {
        const key = `${setup.variant.name}|${count}`;
        const config = benchConfig(stack, target, setup.temporal.address);
        const workers = await workersFor(setup, stack, config, `w${count}-${target.name}`, count);
        started.push(...workers);
        const pids: Pids = { ...serverPids(stack, setup, target) };
        workers.forEach((w, i) => (pids[`worker${count > 1 ? i + 1 : ''}`] = w.child.pid!));
        const batch = async (prefix: string, n: number) => {
          const failed = await uploadBatch(setup.client, config, lib, tiny.path, prefix, n);
          if (failed.length) failures[key] = (failures[key] ?? 0) + failed.length;
          firstFailure ??= failed[0];
        };
        // Warm every worker as a deployed one is warm: a worker's first workflow compiles the code.
        await batch(`warm-${randomUUID().slice(0, 6)}`, 4 * count);
        delete failures[key];
        cpu[key] = [];
        contenders.push([
          key,
          async (round) => {
            const m = await measured(pids, () => batch(`${key}-${round}`, UPLOADS));
            cpu[key]!.push(cpuCell(m.cpu, UPLOADS));
            return m.seconds;
          },
        ]);
      }
    }
    const times = await alternate(ROUNDS, contenders, `${target.name}: ${UPLOADS} tiny uploads`);
    lines.push(
      `\n${UPLOADS} concurrent tiny uploads (1 KiB, startUpload) on ${target.name}; load ${await loadAverage()}`,
      `variant        | workers | ${Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`.padStart(8)).join(' | ')} | median uploads/s | CPU ms per upload, per round`,
      ...contenders.map(([key]) => {
        const [name, count] = key.split('|');
        const rates = times[key]!.map((s) => UPLOADS / s);
        return [
          name!.padEnd(14),
          count!.padStart(7),
          ...rates.map((r) => r.toFixed(1).padStart(8)),
          median(rates).toFixed(1).padStart(16),
          cpu[key]!.join(' / '),
          failures[key] ? `${failures[key]} failed` : '',
        ]
          .join(' | ')
          .trimEnd();
      }),
      ...(firstFailure ? [`first failure: ${firstFailure}`] : []),
    );
  } finally {
    await rest.close();
    await Promise.all(started.map((w) => w.stop()));
  }
}

async function main(): Promise<void> {
  process.env.BENCH_TARGETS ??= 'simulator';
  const stack = await startBenchStack('clo-many-');
  const lines: string[] = [];
  const setups: Setup[] = [];
  try {
    for (const variant of variants()) setups.push(await setUp(variant));
    for (const target of stack.targets) {
      if (PARTS.includes('sync')) await syncPart(stack, setups, target, lines);
      if (PARTS.includes('uploads')) await uploadsPart(stack, setups, target, lines);
    }
  } catch (err) {
    // Now: closing the connections below makes the calls still in flight throw over it.
    console.error(err);
    process.exit(1);
  } finally {
    await Promise.allSettled(setups.map((s) => s.close()));
    await stack.close();
  }
  console.log(
    `many small items: ${new Date().toISOString()}, nproc ${cpus().length}, worker(s) as clo worker (prebuilt bundle)`,
  );
  for (const s of setups)
    console.log(
      `variant "${s.variant.name}": dev server dynamic config ${JSON.stringify(s.variant.dynamicConfig ?? {})} over the shipped, worker NODE_OPTIONS ${s.variant.nodeOptions ?? `as shipped (${WORKER_NODE_OPTIONS})`}`,
    );
  for (const line of lines) console.log(line);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
