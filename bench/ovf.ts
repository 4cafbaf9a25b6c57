/**
 * `npm run bench:ovf`: a multi-file OVF (a descriptor and BENCH_OVF_DISKS disks of
 * BENCH_OVF_DISK_MB each, default 4 x 256 MiB) uploaded by the saga with its default file
 * concurrency against the same upload with `fileConcurrency: 1`, on our simulator (which takes
 * concurrent PUTs); and `govc library.import` of the same OVF on vcsim, which imports the files
 * one after another, beside the saga on vcsim (vcsim serializes every request behind one lock,
 * so concurrency cannot show there; govc cannot log in to the simulator: it speaks SOAP).
 *
 * Contenders run in the same rounds, their order rotated each round (bench/peers.ts), each
 * after `settle()` (bench/common.ts), each upload's item deleted afterwards. Printed: MiB/s per
 * round and the median, the ratio of each to the simulator's `fileConcurrency: 1` (median of
 * per-round ratios), and the CPU seconds of the worker, this process (which holds the simulator)
 * and vcsim during each transfer.
 *
 *   BENCH_OVF_DISKS         disks in the package (default 4)
 *   BENCH_OVF_DISK_MB       size of each disk (default 256)
 *   BENCH_OVF_CONCURRENCY   fileConcurrency values on the simulator (default: "default,1";
 *                           "default" sends no fileConcurrency, so the saga's own default)
 *   BENCH_OVF_STREAM_MIBS   per-PUT ceiling on the simulator in MiB/s (default none): one stream's
 *                           limit (a WAN link, a host's transfer stream), which concurrent files multiply
 *   BENCH_ROUNDS            rounds (default 3)
 *   BENCH_SETTLE_MS         wait before each timed transfer (default 15000)
 *   BENCH_PEERS             govc on vcsim when it includes govc (default govc,cli)
 *   BENCH_TARGETS           vcsim too (default simulator,vcsim); the simulator is always used
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ContentLibraryClient } from '../activities/content-library';
import { startUpload } from '../client/upload';
import { makeOvfPackage } from '../test/fixtures/content';
import type { WorkerProcess } from '../test/support/worker-process';
import { cpuSeconds, loadAverage, median, settle, startBenchStack, type BenchTarget } from './common';
import { benchConfig, cpuCell, startWorkers } from './many';
import { alternate, bindPeers, RUN_GOVC } from './peers';

const MiB = 1024 * 1024;
const DISKS = Number(process.env.BENCH_OVF_DISKS ?? 4);
const DISK = Number(process.env.BENCH_OVF_DISK_MB ?? 256) * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = (process.env.BENCH_OVF_CONCURRENCY ?? 'default,1').split(',');
const STREAM_MIBS = process.env.BENCH_OVF_STREAM_MIBS ? Number(process.env.BENCH_OVF_STREAM_MIBS) : undefined;

async function main(): Promise<void> {
  const stack = await startBenchStack('clo-ovf-');
  const lines: string[] = [];
  const workers: WorkerProcess[] = [];
  const rests: ContentLibraryClient[] = [];
  try {
    console.error(`writing an OVF with ${DISKS} disks of ${DISK / MiB} MiB...`);
    const pkg = await makeOvfPackage(join(stack.dir, 'appliance'), {
      name: 'appliance',
      disks: Array.from({ length: DISKS }, () => ({ size: DISK })),
      // No manifest: the figure is the transfer; with one, the saga also hashes every file.
      manifest: false,
    });
    const bytes = pkg.files.reduce((sum, f) => sum + f.size, 0);

    /** Per server: a worker, a library, and a timed saga upload with the given fileConcurrency. */
    const bind = async (target: BenchTarget) => {
      const config = benchConfig(stack, target);
      const [worker] = await startWorkers(stack, config, `ovf-${target.name}`, 1);
      workers.push(worker!);
      const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
      rests.push(rest);
      const libName = `ovf-${randomUUID().slice(0, 6)}`;
      const lib = await rest.createLibrary({ name: libName, datastore_id: target.datastore }, randomUUID());
      const pids: Record<string, number> = {
        worker: worker!.child.pid!,
        ...(target.name === 'vcsim' ? { vcsim: stack.vcsim.pid } : {}),
      };
      const dropItem = async (name: string) => {
        for (const id of await rest.findLibraryItems({ library_id: lib, name }))
          await rest.deleteLibraryItem(id).catch(() => undefined);
      };
      /** Times `run` after settling, with the CPU each process used, then deletes item `name`. */
      const timed = async (name: string, cpu: string[], run: () => Promise<unknown>) => {
        await settle();
        const before = Object.fromEntries(
          await Promise.all(
            Object.entries(pids).map(async ([k, pid]) => [k, await cpuSeconds(pid)] as const),
          ),
        );
        const self = process.cpuUsage();
        const started = process.hrtime.bigint();
        await run();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const used: Record<string, number> = {};
        for (const [k, pid] of Object.entries(pids)) used[k] = (await cpuSeconds(pid)) - before[k]!;
        const own = process.cpuUsage(self);
        used[target.name === 'simulator' ? 'bench+simulator' : 'bench'] = (own.user + own.system) / 1e6;
        // CPU seconds per GiB moved, the steadier figure on a busy machine.
        const gib = bytes / (1024 * MiB);
        cpu.push(cpuCell(used, gib, (s) => (s / gib).toFixed(2)));
        await dropItem(name);
        return seconds;
      };
      const saga = (fileConcurrency: string, cpu: string[]) => async (round: number) => {
        const name = `clo-${fileConcurrency}-${round}`;
        return await timed(name, cpu, async () => {
          const handle = await startUpload(
            stack.client,
            {
              vcenter: 'bench',
              library: { id: lib },
              item: { name },
              source: { kind: 'ovf', path: pkg.descriptorPath },
              ...(fileConcurrency === 'default'
                ? {}
                : { options: { fileConcurrency: Number(fileConcurrency) } }),
            },
            { taskQueue: config.temporal.taskQueue, config },
          );
          await handle.result();
        });
      };
      return { config, libName, saga, timed };
    };

    const contenders: Array<[string, (round: number) => Promise<number>]> = [];
    const cpu: Record<string, string[]> = {};
    const sim = await bind(
      stack.targets.find((t) => t.name === 'simulator') ?? {
        name: 'simulator',
        url: stack.sim.url,
        datastore: stack.sim.datastoreId,
      },
    );
    if (STREAM_MIBS) stack.sim.faults.limitRate({ bytesPerSecond: STREAM_MIBS * MiB, direction: 'put' });
    for (const c of CONCURRENCY) {
      const key = `clo, simulator, fileConcurrency ${c}`;
      contenders.push([key, sim.saga(c, (cpu[key] = []))]);
    }
    const vcsimTarget = stack.targets.find((t) => t.name === 'vcsim');
    if (vcsimTarget) {
      const vc = await bind(vcsimTarget);
      const key = `clo, vcsim, fileConcurrency ${CONCURRENCY[0]}`;
      contenders.push([key, vc.saga(CONCURRENCY[0]!, (cpu[key] = []))]);
      if (RUN_GOVC) {
        const peers = await bindPeers(stack.govc, vc.config, stack.dir);
        const gkey = 'govc library.import, vcsim';
        cpu[gkey] = [];
        contenders.push([
          gkey,
          async (round) =>
            await vc.timed(`govc-${round}`, cpu[gkey]!, () =>
              peers.govc(['library.import', '-n', `govc-${round}`, `/${vc.libName}`, pkg.descriptorPath]),
            ),
        ]);
      }
    }

    const times = await alternate(ROUNDS, contenders, 'ovf');
    const rate = (s: number) => bytes / MiB / s;
    const base = times[`clo, simulator, fileConcurrency 1`];
    lines.push(
      `multi-file OVF: ${DISKS} disks x ${DISK / MiB} MiB (${(bytes / MiB).toFixed(0)} MiB), ${ROUNDS} rounds, ` +
        (STREAM_MIBS ? `each PUT to the simulator at most ${STREAM_MIBS} MiB/s, ` : '') +
        `${new Date().toISOString()}, load ${await loadAverage()}`,
      [
        'contender'.padEnd(40),
        ...Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`.padStart(8)),
        'median MiB/s',
        'vs fileConcurrency 1 (rounds)',
        'CPU s per GiB, per round',
      ].join(' | '),
      ...contenders.map(([key]) => {
        const s = times[key]!;
        const ratios = base && key.includes('simulator') ? s.map((x, i) => base[i]! / x) : [];
        return [
          key.padEnd(40),
          ...s.map((x) => rate(x).toFixed(0).padStart(8)),
          median(s.map(rate)).toFixed(0).padStart(12),
          (ratios.length
            ? `${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(' ')})`
            : ''
          ).padEnd(29),
          cpu[key]!.join(' / '),
        ].join(' | ');
      }),
    );
  } finally {
    await Promise.all(rests.map((r) => r.close()));
    await Promise.all(workers.map((w) => w.stop()));
    await stack.close();
  }
  for (const line of lines) console.log(line);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
