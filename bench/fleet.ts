/**
 * `npm run bench:fleet`: throughput with 1, 2 and 3 `clo worker` processes (distinct host ids,
 * test/support/worker-fleet.ts) on the Temporal cluster on PostgreSQL (client/cluster) and on the
 * dev server, side by side in one run, against the simulator:
 *
 * - tiny: BENCH_FLEET_UPLOADS tiny uploads (1 KiB) started at once from the client API; uploads/s
 *   from the first start to the last result. Rounds rotate which contender goes first.
 * - big: BENCH_FLEET_BIG_UPLOADS uploads of BENCH_FLEET_BIG_MB MiB at once; aggregate MiB/s.
 *   Each batch goes into a fresh library deleted afterwards, after settle() (bench/common.ts).
 * - sync: `syncLibrary` of a catalog of BENCH_SYNC_ITEMS tiny ISOs into an empty library (every
 *   item a child upload saga), then again unchanged (every item only planned). Once per contender,
 *   in an order that alternates which stack goes first.
 *
 * Every contender's workers stay up for the whole run (idle ones only long-poll), each fleet on
 * its own task queue, so the rounds alternate without restarts. Every figure comes with the CPU
 * each group used meanwhile (workers; Temporal: the dev server, or the cluster's four services
 * and PostgreSQL; this process, which holds the client and the simulator) and how busy the
 * whole machine was: near 100% of its cores, CPU is the limit.
 *
 *   BENCH_FLEET_SMOKE=1           tiny sizes (10 uploads, 3 x 4 MiB, 20 items, no settle) to try it
 *   BENCH_FLEET_STACKS            dev and/or cluster (default dev,cluster)
 *   BENCH_FLEET_WORKERS           worker counts (default 1,2,3)
 *   BENCH_FLEET_PARTS             tiny, big and/or sync (default all three)
 *   BENCH_FLEET_UPLOADS           tiny uploads per batch (default 200)
 *   BENCH_FLEET_BIG_UPLOADS       big uploads per batch (default 12)
 *   BENCH_FLEET_BIG_MB            size of each big upload in MiB (default 100)
 *   BENCH_SYNC_ITEMS              catalog items (default 1000)
 *   BENCH_FLEET_SYNC_WORKERS      worker counts the sync runs with (default 1: a 1,000-item first run
 *                                 takes 2-4 min here per contender, so all six would not fit in
 *                                 ~15 min; 1,2,3 adds ~12 min)
 *   BENCH_FLEET_ITEM_CONCURRENCY  the sync's itemConcurrency (default 8)
 *   BENCH_ROUNDS                  rounds of tiny and big (default 1)
 *   BENCH_SETTLE_MS               wait before each big batch (default 15000; see bench/common.ts)
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContentLibraryClient } from '../activities/content-library';
import { writeRandomFile } from '../test/fixtures/content';
import type { WorkerFleet } from '../test/support/worker-fleet';
import { loadAverage, settle, startBenchStack, type BenchStack, type BenchTarget } from './common';
import { cluster, devServer, fleetOn, measure, type Groups, type TemporalUnderTest } from './fleet-stacks';
import { LIMITS, report, type Figures } from './fleet-report';
import { benchConfig } from './many';
import { alternate } from './peers';
import { syncOnce, uploadBatch, writeCatalog } from './small-items';
import type { CloConfig } from '../temporal.config';

const SMOKE = process.env.BENCH_FLEET_SMOKE === '1';
const knob = (name: string, full: number, smoke: number) =>
  Number(process.env[name] ?? (SMOKE ? smoke : full));
const list = (name: string, full: string) => (process.env[name] ?? full).split(',').map((s) => s.trim());
const STACKS = list('BENCH_FLEET_STACKS', 'dev,cluster');
const WORKERS = list('BENCH_FLEET_WORKERS', '1,2,3').map(Number);
const PARTS = list('BENCH_FLEET_PARTS', 'tiny,big,sync');
const UPLOADS = knob('BENCH_FLEET_UPLOADS', 200, 10);
const BIG_UPLOADS = knob('BENCH_FLEET_BIG_UPLOADS', 12, 3);
const BIG_MB = knob('BENCH_FLEET_BIG_MB', 100, 4);
const SYNC_ITEMS = knob('BENCH_SYNC_ITEMS', 1000, 20);
const SYNC_WORKERS = list('BENCH_FLEET_SYNC_WORKERS', SMOKE ? '1,2,3' : '1').map(Number);
const ITEM_CONCURRENCY = knob('BENCH_FLEET_ITEM_CONCURRENCY', 8, 8);
const ROUNDS = knob('BENCH_ROUNDS', 1, 1);
const MiB = 1024 * 1024;
/** Longest a batch or sync run may take before the bench gives up on it, naming it (BENCH_FLEET_DEADLINE_S). */
const DEADLINE_MS = knob('BENCH_FLEET_DEADLINE_S', 900, 300) * 1000;

/** `work`, or an error naming `what` once DEADLINE_MS passes: a stuck saga fails the bench instead of stalling it. */
async function deadline<T>(what: string, work: Promise<T>, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () =>
        fail(
          new Error(`${what} did not finish in ${ms / 1000} s (BENCH_FLEET_DEADLINE_S); see its workflows`),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const began = Date.now();
/** A progress line on stderr, with the minutes and seconds since the start. */
function progress(line: string): void {
  const s = Math.round((Date.now() - began) / 1000);
  console.error(`[${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}] ${line}`);
}

/** One stack with one fleet size behind it, on its own task queue. */
interface Contender {
  key: string;
  /** For item names: dev-w1, cl-w3. */
  short: string;
  temporal: TemporalUnderTest;
  count: number;
  config: CloConfig;
  fleet: WorkerFleet;
  groups: Groups;
}

async function startContender(
  stack: BenchStack,
  target: BenchTarget,
  temporal: TemporalUnderTest,
  count: number,
): Promise<Contender> {
  const config = benchConfig(stack, target, temporal.address);
  config.temporal.namespace = temporal.namespace;
  const short = `${temporal.name === 'cluster' ? 'cl' : 'dev'}-w${count}`;
  const fleet = await fleetOn(stack, config, short, count);
  return {
    key: `${temporal.name} x ${count}`,
    short,
    temporal,
    count,
    config,
    fleet,
    groups: {
      workers: () => Promise.resolve(fleet.workers.map((w) => w.child.pid!)),
      temporal: () => temporal.pids(),
    },
  };
}

/**
 * The contenders in the order a single pass runs them: worker counts ascending, and the stack
 * that goes first alternating from one count to the next (dev 1, cluster 1, cluster 2, dev 2, …).
 */
function interleaved(byStack: Contender[][]): Contender[] {
  return WORKERS.flatMap((count, i) => {
    const row = byStack.map((cs) => cs.find((c) => c.count === count)!);
    return i % 2 ? row.reverse() : row;
  });
}

async function tinyPart(
  stack: BenchStack,
  target: BenchTarget,
  order: Contender[],
  figures: Record<string, Figures>,
) {
  const tiny = await writeRandomFile(join(stack.dir, 'tiny.bin'), 1024, 'tiny');
  const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
  try {
    const lib = await rest.createLibrary(
      { name: `tiny-${randomUUID().slice(0, 6)}`, datastore_id: target.datastore },
      randomUUID(),
    );
    await alternate(
      ROUNDS,
      order.map((c) => [
        c.key,
        async (round: number) => {
          progress(`tiny: ${c.key}, ${UPLOADS} uploads...`);
          const m = await measure(c.groups, async () => {
            figures[c.key]!.failed.push(
              ...(await deadline(
                `${c.key}: ${UPLOADS} tiny uploads`,
                uploadBatch(c.temporal.client, c.config, lib, tiny.path, `${c.short}-${round}`, UPLOADS),
              )),
            );
          });
          figures[c.key]!.tiny.push(m);
          progress(`tiny: ${c.key}: ${(UPLOADS / m.seconds).toFixed(1)} uploads/s`);
          return m.seconds;
        },
      ]),
      'tiny uploads',
    );
  } finally {
    await rest.close();
  }
}

async function bigPart(
  stack: BenchStack,
  target: BenchTarget,
  order: Contender[],
  figures: Record<string, Figures>,
) {
  progress(`big: writing a ${BIG_MB} MiB source file...`);
  const big = await writeRandomFile(join(stack.dir, 'big.bin'), BIG_MB * MiB, 'big');
  const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
  try {
    await alternate(
      ROUNDS,
      order.map((c) => [
        c.key,
        async (round: number) => {
          const lib = await rest.createLibrary(
            { name: `big-${randomUUID().slice(0, 6)}`, datastore_id: target.datastore },
            randomUUID(),
          );
          if (!SMOKE) await settle();
          progress(`big: ${c.key}, ${BIG_UPLOADS} x ${BIG_MB} MiB...`);
          const m = await measure(c.groups, async () => {
            figures[c.key]!.failed.push(
              ...(await deadline(
                `${c.key}: ${BIG_UPLOADS} big uploads`,
                uploadBatch(c.temporal.client, c.config, lib, big.path, `big-${round}`, BIG_UPLOADS),
              )),
            );
          });
          figures[c.key]!.big.push(m);
          progress(`big: ${c.key}: ${((BIG_UPLOADS * BIG_MB) / m.seconds).toFixed(0)} MiB/s`);
          // The simulator keeps what it receives on disk: GBs per batch otherwise.
          await rest.deleteLibrary(lib);
          return m.seconds;
        },
      ]),
      'big uploads',
    );
  } finally {
    await rest.close();
  }
}

async function syncPart(
  stack: BenchStack,
  target: BenchTarget,
  order: Contender[],
  figures: Record<string, Figures>,
) {
  progress(`sync: writing ${SYNC_ITEMS} catalog items...`);
  const catalog = await writeCatalog(join(stack.dir, 'catalog'), SYNC_ITEMS);
  const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
  try {
    for (const c of order.filter((c) => SYNC_WORKERS.includes(c.count))) {
      const library = `sync-${c.count}-${randomUUID().slice(0, 6)}`;
      await rest.createLibrary({ name: library, datastore_id: target.datastore }, randomUUID());
      const once = (expect: 'added' | 'unchanged') =>
        measure(c.groups, () =>
          deadline(
            `${c.key}: sync (${expect})`,
            syncOnce(c.temporal.client, c.config, library, catalog, ITEM_CONCURRENCY, expect, SYNC_ITEMS),
          ),
        );
      progress(`sync: ${c.key}, first run (${SYNC_ITEMS} items)...`);
      const first = await once('added');
      progress(`sync: ${c.key}: ${(SYNC_ITEMS / first.seconds).toFixed(1)} items/s; unchanged second run...`);
      const second = await once('unchanged');
      progress(`sync: ${c.key}: unchanged run ${second.seconds.toFixed(1)} s`);
      figures[c.key]!.syncFirst = first;
      figures[c.key]!.syncSecond = second;
    }
  } finally {
    await rest.close();
  }
}

async function main(): Promise<void> {
  process.env.BENCH_TARGETS = 'simulator';
  const loads = [`start ${await loadAverage()}`];
  progress(
    `starting the dev server, vcsim, the simulator${STACKS.includes('cluster') ? ' and the cluster' : ''}...`,
  );
  const stack = await startBenchStack('clo-fleet-');
  const target = stack.targets[0]!;
  const stacks: TemporalUnderTest[] = [];
  const all: Contender[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      progress('stopping...');
      await Promise.allSettled(all.map((c) => c.fleet.stop()));
      await Promise.allSettled(stacks.map((t) => t.close()));
      await stack.close();
    })());
  // Interrupted (Ctrl-C, a timeout): the worker processes, servers and PostgreSQL go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      progress(`${signal}: stopping what the bench started...`);
      // The calls still in flight throw once their connections close: the bench is exiting anyway.
      process.on('uncaughtException', () => undefined);
      void stopAll().finally(() => process.exit(130));
    });
  try {
    if (STACKS.includes('dev')) stacks.push(devServer(stack));
    if (STACKS.includes('cluster'))
      stacks.push(await cluster(join(stack.dir, 'cluster'), (line) => progress(`cluster: ${line}`)));
    const byStack: Contender[][] = [];
    for (const t of stacks) {
      const cs: Contender[] = [];
      for (const count of WORKERS) {
        progress(`${t.name}: starting ${count} worker(s)...`);
        cs.push(await startContender(stack, target, t, count));
      }
      byStack.push(cs);
      all.push(...cs);
    }
    const order = interleaved(byStack);
    // What the others cost meanwhile: the other stack's services and every idle fleet's polls.
    for (const c of order)
      c.groups.idle = async () => [
        ...all.filter((o) => o !== c).flatMap((o) => o.fleet.workers.map((w) => w.child.pid!)),
        ...(await Promise.all(stacks.filter((t) => t !== c.temporal).map((t) => t.pids()))).flat(),
      ];
    const figures: Record<string, Figures> = {};
    for (const c of order) figures[c.key] = { tiny: [], big: [], failed: [] };
    // Warm every worker as a deployed one is warm: a worker's first workflow compiles the code.
    progress('warming the workers...');
    const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
    const warmLib = await rest
      .createLibrary(
        { name: `warm-${randomUUID().slice(0, 6)}`, datastore_id: target.datastore },
        randomUUID(),
      )
      .finally(() => rest.close());
    const warm = await writeRandomFile(join(stack.dir, 'warm.bin'), 1024, 'warm');
    for (const c of order) {
      const failed = await deadline(
        `${c.key}: warm-up`,
        uploadBatch(c.temporal.client, c.config, warmLib, warm.path, `warm-${c.short}`, 4 * c.count),
        // A handful of tiny uploads: minutes mean a stack that cannot run them (say, a missing search attribute).
        Math.min(DEADLINE_MS, 180_000),
      );
      if (failed.length) throw new Error(`${c.key}: ${failed.length} warm-up upload(s) failed: ${failed[0]}`);
    }
    if (PARTS.includes('tiny')) {
      await tinyPart(stack, target, order, figures);
      loads.push(`after tiny ${await loadAverage()}`);
    }
    if (PARTS.includes('big')) {
      await bigPart(stack, target, order, figures);
      loads.push(`after big ${await loadAverage()}`);
    }
    if (PARTS.includes('sync')) {
      await syncPart(stack, target, order, figures);
      loads.push(`after sync ${await loadAverage()}`);
    }
    const head = await promisify(execFile)('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname }).then(
      (r) => r.stdout.trim(),
      () => 'unknown',
    );
    const cpuModel =
      /model name\s*:\s*(.*)/.exec(await readFile('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
    console.log(
      `fleet: ${new Date().toISOString()}${SMOKE ? ' (SMOKE: tiny sizes, figures mean nothing)' : ''}, ${cpus().length} cores (${cpuModel}), ` +
        `${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${Math.round((Date.now() - began) / 1000)} s in all`,
      `\nsimulator target; ${UPLOADS} tiny uploads, ${BIG_UPLOADS} x ${BIG_MB} MiB, sync of ${SYNC_ITEMS} items (itemConcurrency ${ITEM_CONCURRENCY}) with ${SYNC_WORKERS.join(',')} worker(s); ` +
        `${ROUNDS} round(s); workers as clo worker (prebuilt bundle), distinct host ids; HEAD ${head}; ` +
        'both stacks with one partition per task queue and eager activities (client/dev-stack DEV_SERVER_DYNAMIC_CONFIG)',
    );
    const rows = [...order].sort(
      (a, b) => a.temporal.name.localeCompare(b.temporal.name) || a.count - b.count,
    );
    const table = report(
      rows.map((c) => ({ stack: c.temporal.name, workers: c.count, figures: figures[c.key]! })),
      { uploads: UPLOADS, bigUploads: BIG_UPLOADS, bigMiB: BIG_MB, syncItems: SYNC_ITEMS },
    );
    for (const line of [...table, '', `load average (1, 5, 15 min) at ${loads.join('; ')}`, '', ...LIMITS])
      console.log(line);
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
