/**
 * `npm run bench:startup`: how long the CLI takes from command start to exit, as a person runs
 * it (`node bin/clo ...`, a new process each time), beside govc doing the same on the same stack:
 *
 *   node -e 0            Node's own start, the floor under any clo command
 *   clo --help           start-up alone (target ≤ 0.3 s)
 *   govc version         govc's start-up
 *   clo upload --wait    a 1 KiB file into a new item on the embedded stack (`clo dev`'s
 *                        Temporal dev server + vcsim, a `clo worker` process): start-up,
 *                        connecting, the saga's control plane and the transfer (target ≤ 0.5 s)
 *   govc library.import  the same file into a new item of the same library
 *
 * BENCH_RUNS rounds (default 10); each round runs every command once, in turn, so a burst of
 * load on this shared machine hits all of them alike. Prints min/median/max wall seconds and
 * the median CPU seconds of the process (user + system, from this process's cutime/cstime in
 * /proc, which grow by each child's CPU when it is reaped): on a busy machine the CPU column
 * moves far less than the wall clock. Below the table, the saga's own time from its history
 * (WorkflowExecutionStarted to its close) for the clo uploads: the rest is the CLI's.
 *
 *   BENCH_RUNS        rounds (default 10)
 *   BENCH_GOVC        the govc binary (default: the one scripts/install-tools.sh builds, if it does)
 *   BENCH_BASELINE    another checkout, built (`npm run build` there), whose bin/clo runs beside
 *                     this one in the same rounds against the same stack and worker, e.g. the
 *                     commit before a change:
 *                       mkdir /tmp/base && git archive <commit> | tar -x -C /tmp/base
 *                       ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npm run build)
 *   BENCH_ENCRYPTION  1: clo and the worker run with a payload encryption key (the worker then
 *                     needs the sealed-failures bundle; the header names the bundle it ran)
 * bin/clo runs dist/ only when it is a build of the current sources (`npm run build`; the npm
 * script runs scripts/ensure-deps.sh, which builds it): the header says which ran.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Connection, WorkflowClient } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { ContentLibraryClient } from '../activities/content-library';
import { freePort, startDevStack } from '../client/dev-stack';
import { uploadWorkflowId } from '../client/upload';
import { stopChild } from '../client/dev-stack/child';
import { median } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const ROOT = resolve(__dirname, '..');
const CLO = join(ROOT, 'bin', 'clo');
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { distState } = require('../bin/dist-state.js') as {
  distState: (root?: string) => { fresh: boolean; reason?: string };
};

/** CPU seconds of this process's reaped children so far (cutime + cstime, /proc/self/stat). */
function childrenCpuSeconds(): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // cutime and cstime are fields 16 and 17 of stat(5), counted from 1 with pid and comm first.
  return (Number(fields[13]) + Number(fields[14])) / 100; // USER_HZ is 100 on Linux
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Wall and CPU seconds of running `file args` to its exit; throws with its stderr if it fails. */
async function timed(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timing> {
  const cpuBefore = childrenCpuSeconds();
  const started = process.hrtime.bigint();
  await promisify(execFile)(file, args, { env: { ...process.env, ...env }, cwd: ROOT }).catch(
    (err: Error & { stderr?: string }) => {
      throw new Error(`${file} ${args.join(' ')} failed: ${err.stderr || err.message}`);
    },
  );
  return { wall: Number(process.hrtime.bigint() - started) / 1e9, cpu: childrenCpuSeconds() - cpuBefore };
}

/** BENCH_GOVC, else govc from scripts/install-tools.sh (tools/govc), if this checkout builds it. */
async function findGovc(): Promise<string | undefined> {
  if (process.env.BENCH_GOVC) return process.env.BENCH_GOVC;
  const { stdout } = await promisify(execFile)('bash', [join(ROOT, 'scripts', 'install-tools.sh')], {
    cwd: ROOT,
  });
  return (JSON.parse(stdout) as { govc?: string }).govc;
}

/** `clo worker` as a separate process, as a user runs it; resolves once it polls, with its bundle. */
async function startWorker(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; bundle: string }> {
  const child = spawn(process.execPath, [CLO, 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bundle = await new Promise<string>((ready, fail) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"worker started"'));
      if (line) ready(String((JSON.parse(line) as { workflowBundle?: unknown }).workflowBundle));
    });
    child.once('exit', (code) => fail(new Error(`clo worker exited (${code}) before it started:\n${out}`)));
  });
  child.stdout.resume();
  return { child, bundle };
}

const f = (v: number) => v.toFixed(3).padStart(8);

function row(name: string, timings: Timing[]): string {
  if (timings.length === 0) return `${name.padEnd(32)} ${'(not run)'.padStart(8)}`;
  const wall = timings.map((t) => t.wall);
  const cpu = median(timings.map((t) => t.cpu));
  return `${name.padEnd(32)} ${f(Math.min(...wall))} ${f(median(wall))} ${f(Math.max(...wall))} ${f(cpu)}`;
}

/** Seconds from each workflow's WorkflowExecutionStarted to its last (closing) event. */
async function sagaSeconds(address: string, workflowIds: string[]): Promise<number[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new WorkflowClient({ connection });
    const seconds: number[] = [];
    for (const id of workflowIds) {
      const { events } = await client.getHandle(id).fetchHistory();
      const time = (e: temporal.api.history.v1.IHistoryEvent | undefined) =>
        Number(e?.eventTime?.seconds ?? 0) + (e?.eventTime?.nanos ?? 0) / 1e9;
      if (events?.length) seconds.push(time(events.at(-1)) - time(events[0]));
    }
    return seconds;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'clo-bench-startup-'));
  const [temporalPort, uiPort, vcsimPort] = [await freePort(), await freePort(), await freePort()];
  const stack = await startDevStack({ dataDir: dir, temporalPort, uiPort, vcsimPort });
  let worker: ChildProcess | undefined;
  try {
    const env = {
      CLO_CONFIG_FILE: stack.configFile,
      CLO_LOG_LEVEL: 'info',
      ...(process.env.BENCH_ENCRYPTION === '1'
        ? { CLO_ENCRYPTION_KEYS: `bench=${randomBytes(32).toString('base64')}` }
        : {}),
    };
    const started = await startWorker(env);
    worker = started.child;
    const govc = await findGovc();
    const rest = new ContentLibraryClient({ url: stack.vcsim.url, username: 'user', password: 'pass' });
    const library = `startup-${randomBytes(3).toString('hex')}`;
    await rest.createLibrary({ name: library, datastore_id: stack.vcsim.datastore }, randomUUID());
    const file = join(dir, 'tiny.bin');
    await writeFile(file, randomBytes(1024));
    const vcsimUrl = new URL(stack.vcsim.url);
    const govcEnv = {
      GOVC_URL: `${vcsimUrl.protocol}//user:pass@${vcsimUrl.host}/sdk`,
      GOVC_INSECURE: '1',
    };

    // This checkout's clo, and the baseline's beside it when BENCH_BASELINE names one.
    const clos = [
      { suffix: '', bin: CLO, itemPrefix: 'clo' },
      ...(BASELINE ? [{ suffix: ' (baseline)', bin: join(BASELINE, 'bin', 'clo'), itemPrefix: 'base' }] : []),
    ];
    const upload = (bin: string, item: string) =>
      timed(
        process.execPath,
        [bin, 'upload', file, '--library', library, '--item', item, '--wait', '--json'],
        env,
      );
    const times: Record<string, Timing[]> = { 'node -e 0': [] };
    for (const c of clos) times[`clo --help${c.suffix}`] = [];
    times['govc version'] = [];
    for (const c of clos) times[`clo upload --wait${c.suffix}`] = [];
    times['govc library.import'] = [];
    // One of each first, untimed: the page cache, each clo's compile cache (bin/compile-cache.js),
    // vcsim's first item, the worker's first task.
    for (const c of clos) {
      await timed(process.execPath, [c.bin, '--help'], env);
      await upload(c.bin, `warm-${c.itemPrefix}`);
    }
    if (govc) await timed(govc, ['library.import', '-n', 'warm-govc', library, file], govcEnv);
    const loadBefore = loadavg()[0]!.toFixed(2);
    for (let i = 0; i < RUNS; i++) {
      times['node -e 0']!.push(await timed(process.execPath, ['-e', '0'], {}));
      for (const c of clos)
        times[`clo --help${c.suffix}`]!.push(await timed(process.execPath, [c.bin, '--help'], env));
      if (govc) times['govc version'].push(await timed(govc, ['version'], govcEnv));
      // The baseline goes first in odd rounds, so neither always follows govc.
      for (const c of i % 2 ? [...clos].reverse() : clos)
        times[`clo upload --wait${c.suffix}`]!.push(await upload(c.bin, `${c.itemPrefix}-${i}`));
      if (govc)
        times['govc library.import'].push(
          await timed(govc, ['library.import', '-n', `govc-${i}`, library, file], govcEnv),
        );
    }

    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
    const ran = (root: string) => {
      const st = distState(root);
      return st.fresh ? 'dist/ (compiled)' : `the sources through tsx (${st.reason})`;
    };
    console.log(
      `bin/clo ran ${ran(ROOT)}${BASELINE ? `; baseline ${BASELINE} ran ${ran(BASELINE)}` : ''}; ` +
        `${RUNS} rounds; load average ${loadBefore} at the start, ${load} at the end`,
    );
    console.log(`clo worker's workflow bundle: ${started.bundle}`);
    if (!govc) console.log('govc is not built by scripts/install-tools.sh in this checkout: clo only');
    console.log(
      `${'seconds'.padEnd(32)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'max'.padStart(8)} ${'CPU'.padStart(8)}`,
    );
    for (const [name, timings] of Object.entries(times)) console.log(row(name, timings));
    // The saga's own part of each clo upload, from its history; the CLI's is the rest.
    const hashNames = env.CLO_ENCRYPTION_KEYS !== undefined;
    for (const c of clos) {
      const ids = Array.from({ length: RUNS }, (_, i) =>
        uploadWorkflowId(
          { vcenter: 'default', library: { name: library }, item: { name: `${c.itemPrefix}-${i}` } },
          hashNames,
        ),
      );
      const saga = await sagaSeconds(stack.temporal.address, ids);
      const wall = times[`clo upload --wait${c.suffix}`]!.map((t) => t.wall);
      console.log(
        `${`  saga in history${c.suffix}`.padEnd(32)} ${f(Math.min(...saga))} ${f(median(saga))} ${f(Math.max(...saga))}` +
          `   (clo upload's median minus the saga's: ${(median(wall) - median(saga)).toFixed(3)})`,
      );
    }
  } finally {
    if (worker) await stopChild(worker);
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
