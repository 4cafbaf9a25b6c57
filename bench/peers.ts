/**
 * The peers the transfer benches time clo against beside curl: govc (tools/govc, the CLI a
 * vSphere user would run instead of clo) and clo's own CLI (`bin/clo ... --wait --json`, what a
 * person runs, start-up included), next to the client API (startUpload/startDownload on a
 * running worker, what a platform service runs). All of them are timed in the same rounds, in
 * an order that rotates from round to round, and the table gives each one's MiB/s per round,
 * the median, and clo's ratio to govc (the median of the per-round ratios: each round's
 * contenders ran minutes apart at most, so the pairing cancels the machine's drift).
 *
 *   BENCH_PEERS  which of govc and clo's CLI run (default govc,cli; empty: neither). They run
 *                on vcsim only: govc logs in over SOAP (/sdk), which the simulator does not serve.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { CloConfig } from '../temporal.config';
import { median } from './common';

const CLO = resolve(__dirname, '../bin/clo');
// Plain CommonJS beside bin/clo: how it decides between dist/ and the sources.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { distState } = require('../bin/dist-state.js') as {
  distState: () => { fresh: boolean; reason?: string };
};

/** No single 1–2 GiB transfer takes this long here; a hung peer fails the bench instead of stalling it. */
const PEER_TIMEOUT_MS = 10 * 60_000;

const PEERS = (process.env.BENCH_PEERS ?? 'govc,cli').split(',').map((p) => p.trim());
/** Whether govc is timed (BENCH_PEERS). */
export const RUN_GOVC = PEERS.includes('govc');
/** Whether clo's CLI is timed (BENCH_PEERS). */
export const RUN_CLI = PEERS.includes('cli');

/** A command-line peer bound to one vCenter: govc, or clo's CLI with a config file naming it `bench`. */
export interface Peers {
  /** Runs govc with `args` and returns its wall time in seconds. */
  govc(args: string[]): Promise<number>;
  /**
   * Runs `clo <args> --vcenter bench --wait --json`; returns its wall time, the printed result,
   * and the wall clock (ms since the epoch) at its spawn and its exit, for {@link cliShare}.
   */
  clo(args: string[]): Promise<{ seconds: number; result: unknown; spawnedAt: number; exitedAt: number }>;
}

/**
 * Binds govc and clo's CLI to the vCenter in `config.vcenters.bench`. govc gets its credentials
 * from the environment (never in `ps`) and keeps its session under `dir`, as a user's govc
 * keeps one under ~/.govmomi between commands; clo reads a config file written into `dir`.
 */
export async function bindPeers(govcBin: string, config: CloConfig, dir: string): Promise<Peers> {
  const vc = config.vcenters.bench!;
  const configFile = join(dir, `cli-${config.temporal.taskQueue}.json`);
  await writeFile(
    configFile,
    JSON.stringify({
      temporal: config.temporal,
      vcenters: config.vcenters,
      timeouts: config.timeouts,
      worker: config.worker,
    }),
    { mode: 0o600 },
  );
  await mkdir(join(dir, 'govmomi'), { recursive: true });
  const govcEnv = {
    ...process.env,
    GOVC_URL: vc.url,
    GOVC_USERNAME: vc.username,
    GOVC_PASSWORD: vc.password,
    GOVC_INSECURE: '1',
    GOVMOMI_HOME: join(dir, 'govmomi'),
  };
  const run = async (file: string, args: string[], env: NodeJS.ProcessEnv) => {
    const spawnedAt = Date.now();
    const started = process.hrtime.bigint();
    const { stdout } = await promisify(execFile)(file, args, {
      env,
      timeout: PEER_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`${file} ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
    });
    return {
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      stdout,
      spawnedAt,
      exitedAt: Date.now(),
    };
  };
  return {
    async govc(args) {
      return (await run(govcBin, args, govcEnv)).seconds;
    },
    async clo(args) {
      const { stdout, ...times } = await run(
        process.execPath,
        [CLO, ...args, '--vcenter', 'bench', '--wait', '--json'],
        { ...process.env, CLO_CONFIG_FILE: configFile },
      );
      return { ...times, result: JSON.parse(stdout.trim().split('\n').pop() ?? 'null') as unknown };
    },
  };
}

function describeBuild(): string {
  const state = distState();
  return state.fresh ? 'dist/ (compiled)' : `the sources through tsx (${state.reason})`;
}
const BUILD_AT_START = describeBuild();

/**
 * What `bin/clo` ran in this checkout: the compiled dist/ (fast start) or the sources through
 * tsx. Both ends of the run are named when they differ: an edit to a source mid-run (other
 * people work in this tree) turns dist/ stale and bin/clo over to the sources.
 */
export function cliBuild(): string {
  const now = describeBuild();
  return now === BUILD_AT_START ? now : `${BUILD_AT_START} at the start, ${now} at the end`;
}

/**
 * Runs each contender once per round, in an order rotated by one each round so that none
 * always goes first, and returns each one's seconds per round (a key for each contender given).
 */
export async function alternate<K extends string>(
  rounds: number,
  contenders: Array<[K, (round: number) => Promise<number>]>,
  label: string,
): Promise<Partial<Record<K, number[]>>> {
  const times: Partial<Record<K, number[]>> = {};
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    console.error(`${label}: round ${round + 1} of ${rounds} (${order.map(([n]) => n).join(', ')})...`);
    for (const [name, once] of order) (times[name] ??= []).push(await once(round));
  }
  return times;
}

/**
 * The side-by-side table: one row per contender with MiB/s per round and the median, and for
 * each clo row its ratio to govc (median of the per-round ratios, then each round's).
 */
export function peerTable(sizeBytes: number, rows: Array<[string, number[]]>): string[] {
  const MiB = 1024 * 1024;
  const rate = (s: number) => sizeBytes / MiB / s;
  const govc = rows.find(([name]) => name.startsWith('govc'))?.[1];
  const rounds = Math.max(...rows.map(([, t]) => t.length));
  const head = [
    'contender'.padEnd(26),
    ...Array.from({ length: rounds }, (_, i) => `round ${i + 1}`.padStart(9)),
    ' median ',
    'clo / govc (rounds)',
  ];
  const lines = [head.join(' | ')];
  for (const [name, seconds] of rows.filter(([, t]) => t.length > 0)) {
    const ratios =
      govc && name.startsWith('clo') ? seconds.map((s, i) => govc[i]! / s).filter(Number.isFinite) : [];
    lines.push(
      [
        name.padEnd(26),
        ...seconds.map((s) => rate(s).toFixed(0).padStart(9)),
        median(seconds.map(rate)).toFixed(0).padStart(8),
        ratios.length
          ? `${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(' ')})`
          : govc
            ? ''
            : 'no govc column',
      ]
        .join(' | ')
        .trimEnd(),
    );
  }
  return lines;
}

/** Where a CLI run's wall time went: before its workflow started, the saga, after it closed (seconds). */
export interface CliShare {
  beforeStart: number;
  saga: number;
  afterClose: number;
}

/**
 * Splits one `clo ... --wait` run by its workflow's history: from the command's spawn to
 * WorkflowExecutionStarted (the CLI's start-up, connecting, its checks), the saga itself, and
 * from the workflow's close to the command's exit. Same machine, same clock: the dev server
 * stamps events with this host's wall clock.
 */
export async function cliShare(
  client: Client,
  workflowId: string,
  run: { spawnedAt: number; exitedAt: number },
): Promise<CliShare> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (i: number) => {
    const t = events.at(i)?.eventTime;
    return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  };
  return {
    beforeStart: (ms(0) - run.spawnedAt) / 1000,
    saga: (ms(-1) - ms(0)) / 1000,
    afterClose: (run.exitedAt - ms(-1)) / 1000,
  };
}

/** One line under the peer table: the medians of each share of the CLI's runs. */
export function cliShareLine(shares: CliShare[]): string {
  if (!shares.length) return '';
  const m = (k: keyof CliShare) => median(shares.map((s) => s[k])).toFixed(2);
  return (
    `clo's CLI, medians of ${shares.length}: ${m('beforeStart')} s from its start to the workflow's start, ` +
    `${m('saga')} s of saga, ${m('afterClose')} s from the workflow's close to its exit`
  );
}
