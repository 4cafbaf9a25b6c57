/**
 * `npm run bench:download`: the download saga against `curl` from the same download
 * endpoint, in one run, on the simulator and on vcsim. Prints both throughputs and their
 * ratio, the worker's peak RSS during the saga, and the bytes re-fetched after the worker
 * is SIGKILLed at 50% of the file (where the endpoint honours Range, the new worker
 * resumes; vcsim does not, so there it starts the file over).
 *
 * The saga fsyncs each file before renaming it into place; curl does not, and on this VM
 * flushing 2 GiB to disk takes seconds. So curl is timed twice over: as it is, and with an
 * fsync of its output after it (what the saga's guarantee costs anyone), and the ratio is
 * printed against both. A second ratio compares curl with the transfer alone: the
 * downloadFile activity from its start to its completion in the workflow history (GET,
 * hash, fsync, rename), without the session's create, prepare and delete around it.
 * Every timed transfer starts from a settled machine (see settle()).
 *
 * On vcsim, the same rounds also time govc (`govc library.export /L/I DIR`) and clo's CLI
 * (`clo download --library L --item I --dest DIR --wait --json`), and a second table sets clo's
 * CLI and its client API (the saga above) against govc (bench/peers.ts). Neither govc nor curl
 * fsyncs what it wrote; clo does: so govc's output is fsynced after it, timed apart, and the
 * table has a `govc + fsync` row and clo's ratio to it beside the ratio to govc as it is.
 *
 *   BENCH_SIZE_MB   size of the file (default 2048)
 *   BENCH_SETTLE_MS wait before each timed transfer (default 15000; 0 on bare metal)
 *   BENCH_TARGETS   which servers, comma-separated (default simulator,vcsim)
 *   BENCH_ROUNDS    curl/saga pairs per server, alternating which goes first (default 3);
 *                   the figures are medians, and each round's ratio is printed too
 *   BENCH_PEERS     govc and/or clo's CLI beside them on vcsim (default govc,cli; see bench/peers.ts)
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentLibraryClient } from '../activities/content-library';
import { downloadWorkflowId, startDownload } from '../client/download';
import { CloConfig } from '../temporal.config';
import { writeRandomFile } from '../test/fixtures/content';
import { putItem } from '../test/support/download';
import { heartbeatBytes } from '../test/support/polling';
import { startThrottleProxy } from '../test/support/throttle-proxy';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process';
import {
  activitySeconds,
  median,
  roundsCell,
  roundsHeader,
  peakRssMiB,
  resetPeakRss,
  settle,
  startBenchStack,
  timedCurl,
  timedFsync,
} from './common';
import {
  alternate,
  bindPeers,
  cliBuild,
  cliShare,
  cliShareLine,
  peerTable,
  RUN_CLI,
  RUN_GOVC,
  type CliShare,
} from './peers';

const SIZE = Number(process.env.BENCH_SIZE_MB ?? 2048) * 1024 * 1024;
const MiB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The baseline: `curl` of the prepared download endpoint into a file, as the saga writes one. */
async function curlDownload(
  rest: ContentLibraryClient,
  url: string,
  itemId: string,
  out: string,
): Promise<{ seconds: number; fsyncSeconds: number }> {
  const session = await rest.createDownloadSession({ library_item_id: itemId }, randomUUID());
  try {
    const [file] = await rest.listDownloadSessionFiles(session);
    let info = await rest.prepareDownloadSessionFile(session, file!.name);
    while (info.status !== 'PREPARED') {
      await new Promise((r) => setTimeout(r, 100));
      info = await rest.getDownloadSessionFile(session, file!.name);
    }
    await settle();
    const seconds = await timedCurl(url, ['-o', out, rest.rewriteTransferUri(info.download_endpoint!.uri)]);
    return { seconds, fsyncSeconds: await timedFsync(out) };
  } finally {
    await rest.deleteDownloadSession(session).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const stack = await startBenchStack('clo-bench-dl-');
  const { dir, bundle, sim, client, temporal } = stack;
  const rows: string[] = [];
  const peerTables: string[] = [];
  const workers: WorkerProcess[] = [];
  try {
    console.error(`writing a ${SIZE / MiB} MiB file...`);
    const big = await writeRandomFile(join(dir, 'big.bin'), SIZE, 'bench-download');
    const tiny = await writeRandomFile(join(dir, 'tiny.bin'), 1024 * 1024, 'bench-warm');
    for (const target of stack.targets) {
      const config = CloConfig.parse({
        temporal: { address: temporal.address, namespace: 'default', taskQueue: `bench-${randomUUID()}` },
        vcenters: { bench: { url: target.url, username: 'user', password: 'pass', allowPlainHttp: true } },
        timeouts: { keepAliveIntervalMs: '30s', heartbeatTimeoutMs: '5s' },
        worker: { readRoots: [dir], writeRoots: [dir] },
      });
      const start = async (name: string) => {
        const w = await startWorkerProcess(config, dir, `${target.name}-${name}`, [], {
          CLO_WORKFLOW_BUNDLE: bundle,
        });
        workers.push(w);
        return w;
      };
      const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
      const libName = `bench-${randomUUID().slice(0, 6)}`;
      const lib = await rest.createLibrary({ name: libName, datastore_id: target.datastore }, randomUUID());
      console.error(`${target.name}: putting the file into an item...`);
      const itemId = await putItem(rest, lib, 'big', big.path, SIZE);

      const worker = await start('a');
      // Warm the worker as a deployed one is warm: its first workflow compiles the workflow
      // code (~0.3 s once per process), which is not what this bench compares.
      const tinyId = await putItem(rest, lib, 'tiny', tiny.path, tiny.size);
      await (
        await startDownload(
          client,
          {
            vcenter: 'bench',
            library: { id: lib },
            item: { id: tinyId },
            destination: join(dir, `${target.name}-warm`),
          },
          { taskQueue: config.temporal.taskQueue, config },
        )
      ).result();
      const input = {
        vcenter: 'bench',
        library: { id: lib },
        item: { id: itemId },
        destination: join(dir, `${target.name}-saga`),
      };
      let rssBefore = Infinity;
      let rssPeak = 0;
      const saga = async (): Promise<{ seconds: number; transfer: number }> => {
        await settle();
        await resetPeakRss(worker.child.pid!);
        rssBefore = Math.min(rssBefore, await peakRssMiB(worker.child.pid!));
        const t0 = process.hrtime.bigint();
        const handle = await startDownload(client, input, { taskQueue: config.temporal.taskQueue, config });
        await handle.result();
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        rssPeak = Math.max(rssPeak, await peakRssMiB(worker.child.pid!));
        await rm(input.destination, { recursive: true, force: true });
        return { seconds, transfer: await activitySeconds(handle, 'downloadFile') };
      };
      const curlOnce = async () => {
        const out = join(dir, `${target.name}-curl.bin`);
        const timed = await curlDownload(rest, target.url, itemId, out);
        await rm(out, { force: true });
        return timed;
      };
      // Each contender's by-products per round, beside the seconds alternate() collects.
      const fsyncs: number[] = [];
      const transfers: number[] = [];
      type Contender = 'curl' | 'api' | 'govc' | 'cli';
      const contenders: Array<[Contender, () => Promise<number>]> = [
        [
          'curl',
          async () => {
            const c = await curlOnce();
            fsyncs.push(c.fsyncSeconds);
            return c.seconds;
          },
        ],
        [
          'api',
          async () => {
            const s = await saga();
            transfers.push(s.transfer);
            return s.seconds;
          },
        ],
      ];
      const peers = target.name === 'vcsim' ? await bindPeers(stack.govc, config, dir) : undefined;
      /**
       * Times `once` writing into the directory `name`, deleted after. govc wants it to exist
       * (`open DIR/FILE` fails otherwise); clo creates it, as it does for the saga above.
       */
      const intoDir = async (name: string, create: boolean, once: (out: string) => Promise<number>) => {
        const out = join(dir, `${target.name}-${name}`);
        if (create) await mkdir(out, { recursive: true });
        await settle();
        try {
          return await once(out);
        } finally {
          await rm(out, { recursive: true, force: true });
        }
      };
      // govc does not fsync; its output's fsync, timed after it, is what clo's durability costs it.
      const govcFsyncs: number[] = [];
      if (peers && RUN_GOVC)
        contenders.push([
          'govc',
          async () =>
            intoDir('govc', true, async (out) => {
              const seconds = await peers.govc(['library.export', `/${libName}/big`, out]);
              govcFsyncs.push(await timedFsync(join(out, 'big.bin')));
              return seconds;
            }),
        ]);
      const cliShares: CliShare[] = [];
      if (peers && RUN_CLI)
        contenders.push([
          'cli',
          async () =>
            intoDir('cli', false, async (out) => {
              const run = await peers.clo(['download', '--library', libName, '--item', 'big', '--dest', out]);
              const workflowId = downloadWorkflowId({
                vcenter: 'bench',
                library: { name: libName },
                item: { name: 'big' },
                destination: out,
              });
              cliShares.push(await cliShare(client, workflowId, run));
              return run.seconds;
            }),
        ]);
      const times = {
        curl: [],
        api: [],
        govc: [],
        cli: [],
        ...(await alternate(ROUNDS, contenders, target.name)),
      };
      const rounds = times.curl.map((curl, i) => ({
        curl,
        durable: curl + fsyncs[i]!,
        saga: times.api[i]!,
        transfer: transfers[i]!,
      }));
      if (peers) {
        const govcSynced = times.govc.map((s, i) => s + govcFsyncs[i]!);
        peerTables.push(
          `${target.name}:`,
          ...peerTable(SIZE, [
            ['curl', times.curl],
            ['govc library.export', times.govc],
            ['govc + fsync', govcSynced],
            ['clo download --wait (CLI)', times.cli],
            ['clo startDownload (API)', times.api],
          ]),
          cliShareLine(cliShares),
        );
        // clo fsyncs before its rename; govc + fsync is the durable peer.
        for (const [name, clo] of [
          ['CLI', times.cli],
          ['API', times.api],
        ] as const) {
          const ratios = clo.map((s, i) => govcSynced[i]! / s).filter(Number.isFinite);
          if (ratios.length)
            peerTables.push(
              `clo (${name}) / (govc + fsync): ${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(' ')})`,
            );
        }
      }

      console.error(`${target.name}: kill at 50% ...`);
      // Slowed so the kill lands mid-file: the simulator paces its own sends (no bytes
      // lost in a proxy's buffers); vcsim cannot, so its transfers go through a throttle.
      // ~8 s per file whatever BENCH_SIZE_MB, so several heartbeats (one a second) come before 50%.
      const slowRate = Math.max(SIZE / 8, 256 * 1024);
      const proxy = target.name === 'vcsim' ? await startThrottleProxy(target.url, slowRate) : undefined;
      const paced =
        target.name === 'simulator' ? sim.faults.limitRate({ bytesPerSecond: slowRate }) : undefined;
      await worker.stop();
      const slowConfig = CloConfig.parse({
        ...config,
        vcenters: { bench: { ...config.vcenters.bench, ...(proxy ? { transferUrl: proxy.url } : {}) } },
      });
      const slow = await startWorkerProcess(slowConfig, dir, `${target.name}-slow`, [], {
        CLO_WORKFLOW_BUNDLE: bundle,
      });
      workers.push(slow);
      const killInput = { ...input, destination: join(dir, `${target.name}-kill`) };
      const handle = await startDownload(client, killInput, { taskQueue: config.temporal.taskQueue, config });
      while ((await heartbeatBytes(client, handle, 'big.bin')) < SIZE / 2) {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING')
          throw new Error(`the download to kill at 50% ended first: ${status.name}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await slow.kill();
      paced?.clear();
      await proxy?.close();
      await start('b');
      const result = await handle.result();
      const file = result.files[0]!;
      // Bytes that crossed the wire more than once: on the simulator, counted by the server;
      // on vcsim (no counter), what the worker threw away plus what it fetched again.
      let refetched = file.discardedBytes + file.resumedFrom + file.bytesFetched - SIZE;
      if (target.name === 'simulator') {
        const sent = result.sessionIds.reduce((n, id) => n + sim.stats.bytesSent(id), 0);
        refetched = sent - SIZE;
      }
      await rm(killInput.destination, { recursive: true, force: true });
      await rest.deleteLibrary(lib).catch(() => undefined);
      await rest.close();

      const rate = (seconds: number) => SIZE / MiB / seconds;
      const ratios = rounds.map((r) => r.curl / r.saga);
      const transferRatios = rounds.map((r) => r.curl / r.transfer);
      rows.push(
        [
          target.name.padEnd(10),
          `${median(rounds.map((r) => rate(r.curl))).toFixed(0)} MiB/s`.padStart(12),
          `${median(rounds.map((r) => rate(r.durable))).toFixed(0)} MiB/s`.padStart(14),
          `${median(rounds.map((r) => rate(r.saga))).toFixed(0)} MiB/s`.padStart(12),
          median(ratios).toFixed(2).padStart(6),
          roundsCell(ratios, ROUNDS),
          median(rounds.map((r) => r.durable / r.saga))
            .toFixed(2)
            .padStart(12),
          median(transferRatios).toFixed(2).padStart(8),
          roundsCell(transferRatios, ROUNDS),
          `${rssBefore.toFixed(0)} → ${rssPeak.toFixed(0)} MiB`.padStart(16),
          `${(refetched / MiB).toFixed(1)} MiB (${((refetched / SIZE) * 100).toFixed(2)}%)${file.resumed ? ' resumed' : ' restarted'}`.padStart(
            26,
          ),
        ].join(' | '),
      );
    }
  } finally {
    await Promise.allSettled(workers.map(async (w) => w.kill()));
    await stack.close();
  }
  console.log(
    `\ndownload benchmark: ${SIZE / MiB} MiB file, ${ROUNDS} rounds per server (medians; each round's ratio after them)`,
  );
  console.log(
    [
      'target    ',
      '   curl     ',
      ' curl + fsync ',
      '    saga    ',
      'ratio ',
      roundsHeader('ratio/round', ROUNDS),
      'ratio (sync)',
      'transfer',
      roundsHeader('transfer/round', ROUNDS),
      'worker peak RSS ',
      '  re-fetched after kill   ',
    ].join(' | '),
  );
  for (const row of rows) console.log(row);
  if (peerTables.length) {
    console.log(
      `\nagainst govc: MiB/s end to end (command start to exit; API: start to result), clo's CLI runs ${cliBuild()}`,
    );
    for (const line of peerTables) console.log(line);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
