/** What both benchmarks need: process memory readings, curl with a session header, and a settled machine. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  ensureTools,
  startTemporalDevServer,
  startVcsim,
  type RunningTemporal,
  type RunningVcsim,
} from '../client/dev-stack';
import { startSimulator, type ContentLibrarySimulator } from '../test/simulator';
import { buildWorkflowBundle } from '../worker/workflow-bundle';

/** Resets a process's peak resident set, so VmHWM then measures what follows, not start-up. */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}

/** Peak resident set (VmHWM) of a process, in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * Runs `curl` with `args` plus a fresh vCenter session header, and returns its wall time in
 * seconds. The token travels in a header file so it never shows in `ps`.
 */
export async function timedCurl(url: string, args: string[]): Promise<number> {
  const login = await fetch(`${url}/rest/com/vmware/cis/session`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
  });
  const token = ((await login.json()) as { value: string }).value;
  const headers = join(tmpdir(), `bench-${randomUUID()}.hdr`);
  await writeFile(headers, `vmware-api-session-id: ${token}\n`, { mode: 0o600 });
  try {
    const started = process.hrtime.bigint();
    await promisify(execFile)('curl', ['-sS', '--fail', '-H', `@${headers}`, ...args]);
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await rm(headers, { force: true });
  }
}

const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 15_000);

/**
 * Before a timed transfer: dirty pages written back (`sync`), then BENCH_SETTLE_MS for this VM
 * to take freed memory back. Writing into the page cache is several times slower in memory
 * the guest has not used lately, so without this whichever transfer ran second measured slower.
 */
export async function settle(): Promise<void> {
  await promisify(execFile)('sync');
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** Seconds an fsync of `path` takes: what durability adds to a download that did not sync. */
export async function timedFsync(path: string): Promise<number> {
  const started = process.hrtime.bigint();
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * Seconds the last completed run of the activity `activityType` took in a finished workflow,
 * from its ActivityTaskStarted to its ActivityTaskCompleted event: the transfer alone, without
 * the saga's control-plane steps around it, which is what a timed curl compares with.
 */
export async function activitySeconds(handle: WorkflowHandle, activityType: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
    Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const scheduled = new Set<string>();
  const started = new Map<string, number>();
  let seconds: number | undefined;
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === activityType) scheduled.add(id);
    const s = e.activityTaskStartedEventAttributes;
    if (s && scheduled.has(String(s.scheduledEventId)))
      started.set(String(s.scheduledEventId), ms(e.eventTime));
    const c = e.activityTaskCompletedEventAttributes;
    const from = c ? started.get(String(c.scheduledEventId)) : undefined;
    if (from !== undefined) seconds = (ms(e.eventTime) - from) / 1000;
  }
  if (seconds === undefined) throw new Error(`no completed ${activityType} activity in ${handle.workflowId}`);
  return seconds;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A server a bench measures against. */
export interface BenchTarget {
  name: 'simulator' | 'vcsim';
  url: string;
  datastore: string;
}

/** What both benches run on: a scratch dir, a prebuilt workflow bundle, Temporal, vcsim and the simulator. */
export interface BenchStack {
  dir: string;
  bundle: string;
  temporal: RunningTemporal;
  vcsim: RunningVcsim;
  sim: ContentLibrarySimulator;
  /** Path of the pinned govc (tools/govc), the peer the benches time clo against. */
  govc: string;
  client: Client;
  /** The servers BENCH_TARGETS names (default both), in that order. */
  targets: BenchTarget[];
  close(): Promise<void>;
}

export async function startBenchStack(prefix: string): Promise<BenchStack> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const tools = await ensureTools();
  const bundle = join(dir, 'workflow-bundle.js');
  await writeFile(bundle, await buildWorkflowBundle());
  const [temporal, vcsim, sim] = await Promise.all([
    startTemporalDevServer({ bin: tools.temporal, uiPort: false }),
    startVcsim({ bin: tools.vcsim }),
    startSimulator({ dataDir: join(dir, 'sim') }),
  ]);
  const connection = await Connection.connect({ address: temporal.address });
  const only = (process.env.BENCH_TARGETS ?? 'simulator,vcsim').split(',');
  const all: BenchTarget[] = [
    { name: 'simulator', url: sim.url, datastore: sim.datastoreId },
    { name: 'vcsim', url: vcsim.url, datastore: vcsim.datastore },
  ];
  return {
    dir,
    bundle,
    temporal,
    vcsim,
    sim,
    govc: tools.govc,
    client: new Client({ connection }),
    targets: all.filter((t) => only.includes(t.name)),
    async close() {
      await connection.close();
      await Promise.allSettled([temporal.stop(), vcsim.stop(), sim.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Width of a column listing one ratio per round ("0.92 0.78 …"), at least its header's 16. */
function roundsWidth(rounds: number): number {
  return Math.max(16, rounds * 5 - 1);
}

/** The per-round ratios of one server, two decimals each, as a cell of a column of `rounds`. */
export function roundsCell(values: number[], rounds: number): string {
  return values
    .map((v) => v.toFixed(2))
    .join(' ')
    .padStart(roundsWidth(rounds));
}

/** The header of such a column, centred. */
export function roundsHeader(title: string, rounds: number): string {
  const width = roundsWidth(rounds);
  return title.padStart(Math.floor((width + title.length) / 2)).padEnd(width);
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux this runs on). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The 1-minute load average, for the line printed beside a figure. */
export async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}
