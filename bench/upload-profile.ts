/**
 * `npx tsx bench/upload-profile.ts`: where an upload's time and CPU go, on vcsim, in one run.
 * Each round times, in rotating order and each after the same settle as bench:upload (`sync`,
 * BENCH_SETTLE_MS): `govc library.import` of the file (when PROFILE_GOVC names a govc binary),
 * `curl -T` to an upload endpoint, and the upload saga on each worker variant. For each it
 * prints MiB/s and the CPU seconds per GiB of every process involved: the uploader itself (the
 * tool, or the worker), vcsim, the Temporal dev server and this process (the client).
 *
 * Worker variants let two builds of the code (a checkout of the baseline in another directory,
 * say) or two process settings be measured side by side on one machine state:
 *
 *   PROFILE_VARIANTS  `label=path/to/bin/clo[|NAME=value...]`, comma-separated (default `clo=bin/clo`);
 *                     NAME=value pairs go into that worker's environment (NODE_OPTIONS is
 *                     appended to the deployed worker's options; NODE_ARGS, space-separated,
 *                     go on node's command line, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 *                     A variant whose bin/clo is in another checkout runs that checkout's workflow
 *                     code too: its bundle is built from there (CLO_WORKFLOW_BUNDLE overrides it)
 *   PROFILE_GOVC      a govc binary (default none: no govc column)
 *   PROFILE_SIZE_MB   file size (default 1024)
 *   PROFILE_ROUNDS    rounds (default 3)
 *   BENCH_SETTLE_MS   as bench:upload (default 15000)
 *
 * CPU per process is utime+stime from /proc/<pid>/stat around each transfer; a tool's own CPU
 * comes from /usr/bin/time. Not a test: it prints figures, nothing fails on them.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { ContentLibraryClient } from '../activities/content-library';
import { startUpload } from '../client/upload';
import { writeRandomFile } from '../test/fixtures/content';
import { activitySeconds, cpuSeconds, median, settle, startBenchStack } from './common';
import { startVariantWorker, timedTool, variants, type VariantWorker } from './profile-variants';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.PROFILE_SIZE_MB ?? 1024) * MiB;
const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 3);
const GOVC = process.env.PROFILE_GOVC;

/** One measured transfer: wall seconds and CPU seconds per process. */
interface Sample {
  seconds: number;
  transfer?: number;
  cpu: Record<string, number>;
}

/** PROFILE_TIMELINE=1: each saga's history events, ms after its start, to see where the time outside the transfer goes. */
async function printTimeline(handle: WorkflowHandle): Promise<void> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
    Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const t0 = ms(events[0]?.eventTime);
  const names = new Map<string, string>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) names.set(String(e.eventId), a.activityType?.name ?? '?');
    const ref =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId;
    const what = a?.activityType?.name ?? (ref ? names.get(String(ref)) : '') ?? '';
    const type = proto.api.enums.v1.EventType[e.eventType ?? 0]?.replace(/^EVENT_TYPE_/, '');
    console.error(`    ${(ms(e.eventTime) - t0).toFixed(0).padStart(6)} ms  ${type} ${what}`);
  }
}

async function main(): Promise<void> {
  process.env.BENCH_TARGETS = 'vcsim';
  const stack = await startBenchStack('clo-profile-');
  const { dir, bundle, client, temporal, vcsim } = stack;
  const target = stack.targets[0]!;
  const workers: VariantWorker[] = [];
  try {
    console.error(`writing a ${SIZE / MiB} MiB source file...`);
    const big = await writeRandomFile(join(dir, 'big.bin'), SIZE, 'profile');
    for (const v of variants()) {
      const root = resolve(dirname(v.clo), '..');
      let ownBundle = bundle;
      if (root !== resolve(__dirname, '..') && !v.env.CLO_WORKFLOW_BUNDLE) {
        // The other checkout's bundler, so its workflows/ (and what they import) are what runs.
        const other = (await import(join(root, 'worker', 'workflow-bundle.ts'))) as {
          buildWorkflowBundle: () => Promise<string>;
        };
        ownBundle = join(dir, `workflow-bundle-${v.label}.js`);
        await writeFile(ownBundle, await other.buildWorkflowBundle());
      }
      workers.push(
        await startVariantWorker(v, {
          prefix: 'profile',
          temporalAddress: temporal.address,
          targetUrl: target.url,
          dir,
          bundle: ownBundle,
        }),
      );
    }
    const rest = new ContentLibraryClient({ url: target.url, username: 'user', password: 'pass' });
    const newLibrary = () =>
      rest.createLibrary(
        { name: `p-${randomUUID().slice(0, 8)}`, datastore_id: target.datastore },
        randomUUID(),
      );

    // Warm each worker as a deployed one is warm (its first workflow compiles the workflow code).
    const tiny = await writeRandomFile(join(dir, 'tiny.bin'), 1024, 'tiny');
    for (const w of workers) {
      const lib = await newLibrary();
      const h = await startUpload(
        client,
        {
          vcenter: 'bench',
          library: { id: lib },
          item: { name: 'warm' },
          source: { kind: 'file', path: tiny.path },
        },
        { taskQueue: w.queue, config: w.config },
      );
      await h.result();
      await rest.deleteLibrary(lib);
    }

    const servers = { vcsim: vcsim.pid, temporal: temporal.process.pid! };
    /** Measures `run` with the CPU of vcsim, the dev server, this process and `own` (a worker). */
    const measure = async (
      run: () => Promise<{ seconds: number; transfer?: number; tool?: number }>,
      own?: number,
    ): Promise<Sample> => {
      await settle();
      const before = {
        vcsim: await cpuSeconds(servers.vcsim),
        temporal: await cpuSeconds(servers.temporal),
        ...(own ? { uploader: await cpuSeconds(own) } : {}),
      } as Record<string, number>;
      const self = process.cpuUsage();
      const r = await run();
      const selfUsed = process.cpuUsage(self);
      const cpu: Record<string, number> = {
        vcsim: (await cpuSeconds(servers.vcsim)) - before.vcsim!,
        temporal: (await cpuSeconds(servers.temporal)) - before.temporal!,
        client: (selfUsed.user + selfUsed.system) / 1e6,
        uploader: own ? (await cpuSeconds(own)) - before.uploader! : (r.tool ?? NaN),
      };
      return { seconds: r.seconds, ...(r.transfer ? { transfer: r.transfer } : {}), cpu };
    };

    const candidates: Array<{ name: string; once: () => Promise<Sample> }> = [];
    if (GOVC) {
      candidates.push({
        name: 'govc',
        once: async () => {
          const lib = await newLibrary();
          const libName = (await rest.getLibrary(lib)).name;
          try {
            const u = new URL(target.url);
            u.username = 'user';
            u.password = 'pass';
            u.pathname = '/sdk';
            return await measure(async () => {
              const [seconds, tool] = await timedTool(
                GOVC,
                ['library.import', '-n', 'big', libName, big.path],
                {
                  GOVC_URL: u.toString(),
                  GOVC_INSECURE: '1',
                },
              );
              return { seconds, tool };
            });
          } finally {
            await rest.deleteLibrary(lib).catch(() => undefined);
          }
        },
      });
    }
    candidates.push({
      name: 'curl -T',
      once: async () => {
        const lib = await newLibrary();
        try {
          const item = await rest.createLibraryItem(
            { library_id: lib, name: 'curl', type: 'file' },
            randomUUID(),
          );
          const session = await rest.createUpdateSession({ library_item_id: item }, randomUUID());
          const info = await rest.addUpdateSessionFile(session, {
            name: 'big.bin',
            source_type: 'PUSH',
            size: SIZE,
          });
          const uri = rest.rewriteTransferUri(info.upload_endpoint!.uri);
          const login = await fetch(`${target.url}/rest/com/vmware/cis/session`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
          });
          const token = ((await login.json()) as { value: string }).value;
          const sample = await measure(async () => {
            const [seconds, tool] = await timedTool(
              'curl',
              ['-sS', '--fail', '-H', `vmware-api-session-id: ${token}`, '-T', big.path, uri],
              {},
            );
            return { seconds, tool };
          });
          await rest.cancelUpdateSession(session).catch(() => undefined);
          return sample;
        } finally {
          await rest.deleteLibrary(lib).catch(() => undefined);
        }
      },
    });
    for (const w of workers) {
      candidates.push({
        name: `saga ${w.v.label}`,
        once: async () => {
          const lib = await newLibrary();
          try {
            return await measure(async () => {
              const started = process.hrtime.bigint();
              const handle = await startUpload(
                client,
                {
                  vcenter: 'bench',
                  library: { id: lib },
                  item: { name: 'big' },
                  source: { kind: 'file', path: big.path },
                },
                { taskQueue: w.queue, config: w.config },
              );
              await handle.result();
              const seconds = Number(process.hrtime.bigint() - started) / 1e9;
              if (process.env.PROFILE_TIMELINE) await printTimeline(handle);
              return { seconds, transfer: await activitySeconds(handle, 'pushFile') };
            }, w.child.pid);
          } finally {
            await rest.deleteLibrary(lib).catch(() => undefined);
          }
        },
      });
    }

    const samples = new Map<string, Sample[]>(candidates.map((c) => [c.name, []]));
    const loads: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = candidates.map((_, i) => candidates[(i + round) % candidates.length]!);
      console.error(`round ${round + 1} of ${ROUNDS}: ${order.map((c) => c.name).join(', ')}`);
      for (const c of order) {
        const sample = await c.once();
        samples.get(c.name)!.push(sample);
        loads.push(loadavg()[0]!);
        const cpu = Object.entries(sample.cpu).map(([k, v]) => `${k} ${v.toFixed(2)} s`);
        console.error(
          `  ${c.name}: ${(SIZE / MiB / sample.seconds).toFixed(0)} MiB/s, CPU ${cpu.join(', ')}, load ${loads.at(-1)!.toFixed(2)}`,
        );
      }
    }
    await rest.close();

    const GiB = SIZE / (1024 * MiB);
    const rate = (s: number) => (SIZE / MiB / s).toFixed(0);
    console.log(
      `\nupload profile on vcsim: ${SIZE / MiB} MiB, ${ROUNDS} rounds, medians (rounds in brackets); CPU s/GiB; ` +
        `load average (1 min) ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
    );
    console.log(
      'uploader      | end-to-end MiB/s           | transfer MiB/s | uploader CPU | vcsim CPU | dev server CPU | client CPU',
    );
    for (const [name, s] of samples) {
      const cpu = (k: string) => median(s.map((x) => x.cpu[k]! / GiB)).toFixed(2);
      const transfers = s.filter((x) => x.transfer).map((x) => x.transfer!);
      console.log(
        [
          name.padEnd(13),
          `${rate(median(s.map((x) => x.seconds)))} (${s.map((x) => rate(x.seconds)).join(' ')})`.padEnd(26),
          (transfers.length ? rate(median(transfers)) : '—').padStart(14),
          cpu('uploader').padStart(12),
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
