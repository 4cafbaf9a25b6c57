/**
 * `npm run bench:upload`: the upload saga against `curl -T` on the same server, in one
 * run, on the simulator and on vcsim. Prints throughput of both and their ratio, the
 * worker's peak RSS during the saga (VmHWM of the worker process), and the end-to-end
 * time of a tiny single-file item (start to DONE).
 *
 * The worker runs as the README says to deploy one: a workflow bundle built beforehand
 * (`npm run build:workflows`) and NODE_OPTIONS from test/support/worker-process.ts.
 *
 * Both transfers start from the same state of the machine: the servers write what they
 * receive into the page cache, and on a VM that hands freed memory back to its host (this one
 * does, within seconds), how fast that goes depends on what ran before: into memory just
 * freed ~3 GB/s, into memory the guest has not used yet ~0.7 GB/s, slower still as the page
 * cache grows. So each transfer's copy is deleted from the server afterwards, and before the
 * next one `sync` writes back dirty pages and the bench waits BENCH_SETTLE_MS for the freed
 * memory to be handed back; otherwise whichever transfer ran second was measured slower.
 *
 * Two ratios are printed: end to end (start to DONE, the saga's control-plane calls
 * included: resolve, create the item and session, validate, complete; ~0.15–0.3 s) and the
 * transfer alone (the pushFile activity, from its start to its completion in the workflow
 * history: add the file, stream, check), which is what the timed curl does. The control plane's
 * own cost is what the tiny item measures.
 *
 * Throughput on this VM swings by several times from one minute to the next, so curl and the
 * saga are timed BENCH_ROUNDS times each, alternating which goes first, and the median of
 * the per-round ratios is the figure (every round is printed too).
 *
 * On vcsim, the same rounds also time govc (`govc library.import -n I /L FILE`) and clo's CLI
 * (`clo upload FILE --library L --item I --wait --json`), and a second table sets clo's CLI and
 * its client API (the saga above) against govc (bench/peers.ts).
 *
 *   BENCH_SIZE_MB   size of the big file (default 2048)
 *   BENCH_ROUNDS    curl/saga pairs per server (default 5: single rounds here range 0.6–1.4)
 *   BENCH_TARGETS   which servers, comma-separated (default simulator,vcsim)
 *   BENCH_TINY_RUNS runs of the tiny item (default 5; the median is printed)
 *   BENCH_SETTLE_MS wait before each timed transfer (default 15000; 0 on bare metal)
 *   BENCH_PEERS     govc and/or clo's CLI beside them on vcsim (default govc,cli; see bench/peers.ts)
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ContentLibraryClient } from '../activities/content-library';
import { startUpload, uploadWorkflowId } from '../client/upload';
import { CloConfig } from '../temporal.config';
import { writeRandomFile } from '../test/fixtures/content';
import {
  startWorkerProcess,
  WORKER_MALLOC_ARENA_MAX,
  WORKER_NODE_OPTIONS,
} from '../test/support/worker-process';
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
const TINY_RUNS = Number(process.env.BENCH_TINY_RUNS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MiB = 1024 * 1024;

/** The baseline: one `curl -T` of the file to a fresh upload endpoint of the same server; its copy is then deleted. */
async function curlUpload(url: string, datastore: string, path: string): Promise<number> {
  const rest = new ContentLibraryClient({ url, username: 'user', password: 'pass' });
  let lib: string | undefined;
  try {
    lib = await rest.createLibrary(
      { name: `curl-${randomUUID().slice(0, 6)}`, datastore_id: datastore },
      randomUUID(),
    );
    const item = await rest.createLibraryItem({ library_id: lib, name: 'curl', type: 'file' }, randomUUID());
    const session = await rest.createUpdateSession({ library_item_id: item }, randomUUID());
    const info = await rest.addUpdateSessionFile(session, {
      name: 'big.bin',
      source_type: 'PUSH',
      size: SIZE,
    });
    const uri = rest.rewriteTransferUri(info.upload_endpoint!.uri);
    await settle();
    const seconds = await timedCurl(url, ['-T', path, uri]);
    await rest.cancelUpdateSession(session).catch(() => undefined);
    return seconds;
  } finally {
    if (lib) await rest.deleteLibrary(lib).catch(() => undefined);
    await rest.close();
  }
}

async function main(): Promise<void> {
  const stack = await startBenchStack('clo-bench-');
  const { dir, bundle, client, temporal } = stack;
  const rows: string[] = [];
  const peerTables: string[] = [];
  try {
    console.error(`writing a ${SIZE / MiB} MiB source file...`);
    const big = await writeRandomFile(join(dir, 'big.bin'), SIZE, 'bench');
    const tiny = await writeRandomFile(join(dir, 'tiny.bin'), 1024, 'tiny');

    for (const target of stack.targets) {
      const config = CloConfig.parse({
        temporal: { address: temporal.address, namespace: 'default', taskQueue: `bench-${randomUUID()}` },
        vcenters: { bench: { url: target.url, username: 'user', password: 'pass', allowPlainHttp: true } },
        timeouts: { keepAliveIntervalMs: '30s', heartbeatTimeoutMs: '30s' },
        worker: { readRoots: [dir], writeRoots: [dir] },
      });
      const worker = await startWorkerProcess(config, dir, `worker-${target.name}`, [], {
        CLO_WORKFLOW_BUNDLE: bundle,
      });
      try {
        const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
        const libName = `bench-${randomUUID().slice(0, 6)}`;
        const lib = await rest.createLibrary({ name: libName, datastore_id: target.datastore }, randomUUID());

        /** Starts the saga uploading the file at `path` into a new item `name` of the bench library. */
        const uploadItem = async (name: string, path: string) =>
          startUpload(
            client,
            { vcenter: 'bench', library: { id: lib }, item: { name }, source: { kind: 'file', path } },
            { taskQueue: config.temporal.taskQueue, config },
          );

        // The tiny item runs first: it is measured, and it also warms the worker as a deployed
        // one is warm (its first workflow compiles the workflow code: ~0.3 s once per process).
        const tinyTimes: number[] = [];
        for (let i = 0; i < TINY_RUNS; i++) {
          const t0 = process.hrtime.bigint();
          await (await uploadItem(`tiny-${i}`, tiny.path)).result();
          tinyTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        let rssBefore = Infinity;
        let rssPeak = 0;
        const saga = async (round: number): Promise<{ seconds: number; transfer: number }> => {
          await settle();
          await resetPeakRss(worker.child.pid!);
          rssBefore = Math.min(rssBefore, await peakRssMiB(worker.child.pid!));
          const started = process.hrtime.bigint();
          const handle = await uploadItem(`big-${round}`, big.path);
          const result = await handle.result();
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          rssPeak = Math.max(rssPeak, await peakRssMiB(worker.child.pid!));
          const transfer = await activitySeconds(handle, 'pushFile');
          // Off the server's disk before the next transfer, as curl's copy is.
          await rest.deleteLibraryItem(result.itemId).catch(() => undefined);
          return { seconds, transfer };
        };
        /** Deletes the items named `name` in the bench library: a peer's copy off the server's disk, as curl's is. */
        const dropItem = async (name: string) => {
          for (const id of await rest.findLibraryItems({ library_id: lib, name }))
            await rest.deleteLibraryItem(id).catch(() => undefined);
        };
        const transfers: number[] = [];
        type Contender = 'curl' | 'api' | 'govc' | 'cli';
        const contenders: Array<[Contender, (round: number) => Promise<number>]> = [
          ['curl', async () => curlUpload(target.url, target.datastore, big.path)],
          [
            'api',
            async (round) => {
              const s = await saga(round);
              transfers.push(s.transfer);
              return s.seconds;
            },
          ],
        ];
        const peers = target.name === 'vcsim' ? await bindPeers(stack.govc, config, dir) : undefined;
        if (peers && RUN_GOVC)
          contenders.push([
            'govc',
            async (round) => {
              await settle();
              const seconds = await peers.govc([
                'library.import',
                '-n',
                `govc-${round}`,
                `/${libName}`,
                big.path,
              ]);
              await dropItem(`govc-${round}`);
              return seconds;
            },
          ]);
        const cliShares: CliShare[] = [];
        if (peers && RUN_CLI)
          contenders.push([
            'cli',
            async (round) => {
              await settle();
              const run = await peers.clo([
                'upload',
                big.path,
                '--library',
                libName,
                '--item',
                `cli-${round}`,
              ]);
              const workflowId = uploadWorkflowId({
                vcenter: 'bench',
                library: { name: libName },
                item: { name: `cli-${round}` },
              });
              cliShares.push(await cliShare(client, workflowId, run));
              await dropItem(`cli-${round}`);
              return run.seconds;
            },
          ]);
        const times = {
          curl: [],
          api: [],
          govc: [],
          cli: [],
          ...(await alternate(ROUNDS, contenders, target.name)),
        };
        const rounds = times.curl.map((curl, i) => ({ curl, saga: times.api[i]!, transfer: transfers[i]! }));
        if (peers)
          peerTables.push(
            `${target.name}:`,
            ...peerTable(SIZE, [
              ['curl -T', times.curl],
              ['govc library.import', times.govc],
              ['clo upload --wait (CLI)', times.cli],
              ['clo startUpload (API)', times.api],
            ]),
            cliShareLine(cliShares),
          );

        await rest.deleteLibrary(lib).catch(() => undefined);
        await rest.close();
        const rate = (seconds: number) => SIZE / MiB / seconds;
        const ratios = rounds.map((r) => r.curl / r.saga);
        const transferRatios = rounds.map((r) => r.curl / r.transfer);
        rows.push(
          [
            target.name.padEnd(10),
            `${median(rounds.map((r) => rate(r.curl))).toFixed(0)} MiB/s`.padStart(12),
            `${median(rounds.map((r) => rate(r.saga))).toFixed(0)} MiB/s`.padStart(12),
            median(ratios).toFixed(2).padStart(6),
            roundsCell(ratios, ROUNDS),
            median(transferRatios).toFixed(2).padStart(8),
            roundsCell(transferRatios, ROUNDS),
            `${rssBefore.toFixed(0)} → ${rssPeak.toFixed(0)} MiB`.padStart(18),
            `${median(tinyTimes).toFixed(0)} ms`.padStart(9),
          ].join(' | '),
        );
      } finally {
        await worker.stop();
      }
    }
  } finally {
    await stack.close();
  }
  console.log(
    `\nupload benchmark: ${SIZE / MiB} MiB file, ${ROUNDS} rounds per server (medians; each round's ratio after them)`,
  );
  console.log(
    `worker: bin/clo worker, prebuilt workflow bundle, NODE_OPTIONS=${WORKER_NODE_OPTIONS} MALLOC_ARENA_MAX=${WORKER_MALLOC_ARENA_MAX}`,
  );
  console.log(
    [
      'target    ',
      '  curl -T   ',
      '    saga    ',
      'ratio ',
      roundsHeader('ratio/round', ROUNDS),
      'transfer',
      roundsHeader('transfer/round', ROUNDS),
      ' worker peak RSS  ',
      'tiny item',
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
