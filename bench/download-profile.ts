/**
 * `npx tsx bench/download-profile.ts`: where a download's time and CPU go, on vcsim, in one run.
 * Each round times, in rotating order and each after the same settle as bench:download (`sync`,
 * BENCH_SETTLE_MS): `govc library.export` of a 1 GiB item, `curl` of a prepared download
 * endpoint, and the download saga on each worker variant. govc and curl do not fsync what they
 * wrote, the saga does before its rename; so each tool's output is fsynced after it, timed apart,
 * and printed as a second figure ("+ fsync": what the saga's guarantee would cost the tool).
 * For each transfer it prints MiB/s and the CPU seconds per GiB of every process involved: the
 * downloader (the tool, or the worker), vcsim, the Temporal dev server and this process.
 * For the saga it also prints the worker's own split of the downloadFile activity (its `fetched`
 * log line): receiving and writing, then the final fsync.
 *
 *   PROFILE_VARIANTS  `label=path/to/bin/clo[|NAME=value...]`, comma-separated (default `clo=bin/clo`),
 *                     as bench/upload-profile.ts: two builds or two settings side by side
 *                     (e.g. `new=bin/clo,buffered=bin/clo|CLO_DIRECT_IO=false`)
 *   PROFILE_GOVC      a govc binary (default the one scripts/install-tools.sh builds; `none` for no column)
 *   PROFILE_PERF      a directory: `perf record -g` each saga's worker into it (perf-<label>-<round>.data)
 *   PROFILE_SIZE_MB   file size (default 1024)
 *   PROFILE_ROUNDS    rounds (default 3)
 *   BENCH_SETTLE_MS   as bench:download (default 15000)
 *
 * Not a test: it prints figures, nothing fails on them.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ContentLibraryClient } from '../activities/content-library';
import { startDownload } from '../client/download';
import { writeRandomFile } from '../test/fixtures/content';
import { putItem } from '../test/support/download';
import { activitySeconds, cpuSeconds, median, settle, startBenchStack, timedFsync } from './common';
import { startVariantWorker, timedTool, variants, type VariantWorker } from './profile-variants';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.PROFILE_SIZE_MB ?? 1024) * MiB;
const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 3);
const PERF = process.env.PROFILE_PERF;

/** One measured transfer: wall seconds, the fsync after it (tools) or inside it (saga), CPU per process. */
interface Sample {
  seconds: number;
  fsync: number;
  transfer?: number;
  cpu: Record<string, number>;
}

/** The worker's `fetched` log lines so far (downloadFile's split: receiving and writing, then fsync). */
function fetchedLines(log: string): Array<{ transferSeconds: number; fsyncSeconds: number }> {
  return log
    .split('\n')
    .filter((l) => l.includes('"fetched"'))
    .map((l) => JSON.parse(l) as { transferSeconds: number; fsyncSeconds: number });
}

/** The line the worker logs for the download that just ended: its stdout may reach us after the result. */
async function nextFetched(w: VariantWorker, seen: number): Promise<{ fsyncSeconds: number } | undefined> {
  for (let waited = 0; waited < 3000; waited += 20) {
    const lines = fetchedLines(w.log());
    if (lines.length > seen) return lines.at(-1);
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

async function main(): Promise<void> {
  process.env.BENCH_TARGETS = 'vcsim';
  const stack = await startBenchStack('clo-dlprofile-');
  const { dir, bundle, client, temporal, vcsim } = stack;
  const target = stack.targets[0]!;
  const govcBin = process.env.PROFILE_GOVC ?? stack.govc;
  const workers: VariantWorker[] = [];
  try {
    console.error(`writing a ${SIZE / MiB} MiB file...`);
    const big = await writeRandomFile(join(dir, 'big.bin'), SIZE, 'dl-profile');
    for (const v of variants()) {
      workers.push(
        await startVariantWorker(v, {
          prefix: 'dlprofile',
          temporalAddress: temporal.address,
          targetUrl: target.url,
          dir,
          bundle,
        }),
      );
    }
    const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
    const libName = `dlp-${randomUUID().slice(0, 8)}`;
    const lib = await rest.createLibrary({ name: libName, datastore_id: target.datastore }, randomUUID());
    const itemId = await putItem(rest, lib, 'big', big.path, SIZE);
    const tiny = await writeRandomFile(join(dir, 'tiny.bin'), 1024 * 1024, 'tiny');
    const tinyId = await putItem(rest, lib, 'tiny', tiny.path, tiny.size);
    const input = (destination: string, item: string) => ({
      vcenter: 'bench',
      library: { id: lib },
      item: { id: item },
      destination,
    });
    // Warm each worker as a deployed one is warm (its first workflow compiles the workflow code).
    for (const w of workers) {
      const dest = join(dir, `warm-${w.v.label}`);
      await (
        await startDownload(client, input(dest, tinyId), { taskQueue: w.queue, config: w.config })
      ).result();
      await rm(dest, { recursive: true, force: true });
    }

    const servers = { vcsim: vcsim.pid, temporal: temporal.process.pid! };
    /** Measures `run` with the CPU of vcsim, the dev server, this process and `own` (a worker). */
    const measure = async (
      run: () => Promise<{ seconds: number; fsync: number; transfer?: number; tool?: number }>,
      own?: number,
    ): Promise<Sample> => {
      await settle();
      const before: Record<string, number> = {
        vcsim: await cpuSeconds(servers.vcsim),
        temporal: await cpuSeconds(servers.temporal),
        ...(own ? { downloader: await cpuSeconds(own) } : {}),
      };
      const self = process.cpuUsage();
      const r = await run();
      const selfUsed = process.cpuUsage(self);
      const cpu: Record<string, number> = {
        vcsim: (await cpuSeconds(servers.vcsim)) - before.vcsim!,
        temporal: (await cpuSeconds(servers.temporal)) - before.temporal!,
        client: (selfUsed.user + selfUsed.system) / 1e6,
        downloader: own ? (await cpuSeconds(own)) - before.downloader! : (r.tool ?? NaN),
      };
      return { seconds: r.seconds, fsync: r.fsync, ...(r.transfer ? { transfer: r.transfer } : {}), cpu };
    };
    /** A fresh directory for one transfer, removed after. */
    const into = async <T>(name: string, once: (out: string) => Promise<T>): Promise<T> => {
      const out = join(dir, `out-${name}`);
      await mkdir(out, { recursive: true });
      try {
        return await once(out);
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    };

    const candidates: Array<{ name: string; once: (round: number) => Promise<Sample> }> = [];
    if (govcBin !== 'none') {
      await mkdir(join(dir, 'govmomi'), { recursive: true });
      const govcEnv = {
        GOVC_URL: target.url,
        GOVC_USERNAME: 'user',
        GOVC_PASSWORD: 'pass',
        GOVC_INSECURE: '1',
        GOVMOMI_HOME: join(dir, 'govmomi'),
      };
      candidates.push({
        name: 'govc',
        once: () =>
          into('govc', (out) =>
            measure(async () => {
              const [seconds, tool] = await timedTool(
                govcBin,
                ['library.export', `/${libName}/big`, out],
                govcEnv,
              );
              return { seconds, tool, fsync: await timedFsync(join(out, 'big.bin')) };
            }),
          ),
      });
    }
    candidates.push({
      name: 'curl',
      once: async () => {
        const session = await rest.createDownloadSession({ library_item_id: itemId }, randomUUID());
        try {
          let info = await rest.prepareDownloadSessionFile(session, 'big.bin');
          while (info.status !== 'PREPARED') {
            await new Promise((r) => setTimeout(r, 100));
            info = await rest.getDownloadSessionFile(session, 'big.bin');
          }
          const uri = rest.rewriteTransferUri(info.download_endpoint!.uri);
          const login = await fetch(`${target.url}/rest/com/vmware/cis/session`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
          });
          const token = ((await login.json()) as { value: string }).value;
          const headers = join(dir, 'curl.hdr');
          await writeFile(headers, `vmware-api-session-id: ${token}\n`, { mode: 0o600 });
          return await into('curl', (out) =>
            measure(async () => {
              const file = join(out, 'big.bin');
              const [seconds, tool] = await timedTool(
                'curl',
                ['-sS', '--fail', '-H', `@${headers}`, '-o', file, uri],
                {},
              );
              return { seconds, tool, fsync: await timedFsync(file) };
            }),
          );
        } finally {
          await rest.deleteDownloadSession(session).catch(() => undefined);
        }
      },
    });
    for (const w of workers) {
      candidates.push({
        name: `saga ${w.v.label}`,
        once: (round) =>
          into(`saga-${w.v.label}`, (out) =>
            measure(async () => {
              const perf = PERF
                ? spawn('perf', [
                    'record',
                    '-g',
                    '-o',
                    join(PERF, `perf-${w.v.label}-${round + 1}.data`),
                    '-p',
                    String(w.child.pid),
                  ])
                : undefined;
              const seen = fetchedLines(w.log()).length;
              const started = process.hrtime.bigint();
              const handle = await startDownload(client, input(join(out, 'dest'), itemId), {
                taskQueue: w.queue,
                config: w.config,
              });
              await handle.result();
              const seconds = Number(process.hrtime.bigint() - started) / 1e9;
              if (perf) {
                perf.kill('SIGINT');
                await new Promise((r) => perf.once('exit', r));
              }
              const fetched = await nextFetched(w, seen);
              return {
                seconds,
                fsync: fetched?.fsyncSeconds ?? NaN,
                transfer: await activitySeconds(handle, 'downloadFile'),
              };
            }, w.child.pid),
          ),
      });
    }

    const samples = new Map<string, Sample[]>(candidates.map((c) => [c.name, []]));
    const loads: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = candidates.map((_, i) => candidates[(i + round) % candidates.length]!);
      console.error(`round ${round + 1} of ${ROUNDS}: ${order.map((c) => c.name).join(', ')}`);
      for (const c of order) {
        const sample = await c.once(round);
        samples.get(c.name)!.push(sample);
        loads.push(loadavg()[0]!);
        const cpu = Object.entries(sample.cpu).map(([k, v]) => `${k} ${v.toFixed(2)} s`);
        console.error(
          `  ${c.name}: ${(SIZE / MiB / sample.seconds).toFixed(0)} MiB/s, fsync ${sample.fsync.toFixed(2)} s, CPU ${cpu.join(', ')}, load ${loads.at(-1)!.toFixed(2)}`,
        );
      }
    }
    await rest.deleteLibrary(lib).catch(() => undefined);
    await rest.close();

    const GiB = SIZE / (1024 * MiB);
    const rate = (s: number) => (SIZE / MiB / s).toFixed(0);
    console.log(
      `\ndownload profile on vcsim: ${SIZE / MiB} MiB, ${ROUNDS} rounds, medians (rounds in brackets); CPU s/GiB; ` +
        `load average (1 min) ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
    );
    console.log(
      'downloader    | end-to-end MiB/s     | + fsync MiB/s (tools) | transfer MiB/s | fsync s | downloader CPU | vcsim CPU | dev server CPU | client CPU',
    );
    for (const [name, s] of samples) {
      const cpu = (k: string) => median(s.map((x) => x.cpu[k]! / GiB)).toFixed(2);
      const saga = name.startsWith('saga');
      const transfers = s.filter((x) => x.transfer).map((x) => x.transfer!);
      const synced = s.map((x) => x.seconds + x.fsync);
      console.log(
        [
          name.padEnd(13),
          `${rate(median(s.map((x) => x.seconds)))} (${s.map((x) => rate(x.seconds)).join(' ')})`.padEnd(20),
          (saga ? '—' : `${rate(median(synced))} (${synced.map(rate).join(' ')})`).padEnd(21),
          (transfers.length ? rate(median(transfers)) : '—').padStart(14),
          median(s.map((x) => x.fsync))
            .toFixed(2)
            .padStart(7),
          cpu('downloader').padStart(14),
          cpu('vcsim').padStart(9),
          cpu('temporal').padStart(14),
          cpu('client').padStart(10),
        ].join(' | '),
      );
    }
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await stack.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
