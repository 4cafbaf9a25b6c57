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
 * load on this shared machine hits all of them alike. Prints min/median/max in seconds.
 *
 *   BENCH_RUNS        rounds (default 10)
 *   BENCH_GOVC        the govc binary (default: the one scripts/install-tools.sh builds, if it does)
 *   BENCH_ENCRYPTION  1: clo and the worker run with a payload encryption key (the worker then
 *                     needs the sealed-failures bundle; the header names the bundle it ran)
 * bin/clo runs dist/ only when it is a build of the current sources (`npm run build`; the npm
 * script runs scripts/ensure-deps.sh, which builds it): the header says which ran.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ContentLibraryClient } from '../activities/content-library';
import { freePort, startDevStack } from '../client/dev-stack';
import { stopChild } from '../client/dev-stack/child';
import { median } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const ROOT = resolve(__dirname, '..');
const CLO = join(ROOT, 'bin', 'clo');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { distState } = require('../bin/dist-state.js') as {
  distState: () => { fresh: boolean; reason?: string };
};

/** Seconds from spawning `file args` to its exit; throws with its stderr if it fails. */
async function timed(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  await promisify(execFile)(file, args, { env: { ...process.env, ...env }, cwd: ROOT }).catch(
    (err: Error & { stderr?: string }) => {
      throw new Error(`${file} ${args.join(' ')} failed: ${err.stderr || err.message}`);
    },
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
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

function row(name: string, values: number[]): string {
  if (values.length === 0) return `${name.padEnd(22)} ${'(not run)'.padStart(8)}`;
  const f = (v: number) => v.toFixed(3).padStart(8);
  return `${name.padEnd(22)} ${f(Math.min(...values))} ${f(median(values))} ${f(Math.max(...values))}`;
}

async function main(): Promise<void> {
  const state = distState();
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

    const times: Record<string, number[]> = {
      'node -e 0': [],
      'clo --help': [],
      'govc version': [],
      'clo upload --wait': [],
      'govc library.import': [],
    };
    // One of each first, untimed: the page cache, vcsim's first item, the worker's first task.
    await timed(process.execPath, [CLO, '--help'], env);
    await timed(
      process.execPath,
      [CLO, 'upload', file, '--library', library, '--item', 'warm-clo', '--wait', '--json'],
      env,
    );
    if (govc) await timed(govc, ['library.import', '-n', 'warm-govc', library, file], govcEnv);
    for (let i = 0; i < RUNS; i++) {
      times['node -e 0']!.push(await timed(process.execPath, ['-e', '0'], {}));
      times['clo --help']!.push(await timed(process.execPath, [CLO, '--help'], env));
      if (govc) times['govc version']!.push(await timed(govc, ['version'], govcEnv));
      times['clo upload --wait']!.push(
        await timed(
          process.execPath,
          [CLO, 'upload', file, '--library', library, '--item', `clo-${i}`, '--wait', '--json'],
          env,
        ),
      );
      if (govc)
        times['govc library.import']!.push(
          await timed(govc, ['library.import', '-n', `govc-${i}`, library, file], govcEnv),
        );
    }

    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
    console.log(
      `bin/clo ran ${state.fresh ? 'dist/ (compiled)' : `the sources through tsx (${state.reason})`}; ` +
        `${RUNS} rounds; load average at the end ${load}`,
    );
    console.log(`clo worker's workflow bundle: ${started.bundle}`);
    if (!govc) console.log('govc is not built by scripts/install-tools.sh in this checkout: clo only');
    console.log(`${'seconds'.padEnd(22)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'max'.padStart(8)}`);
    for (const [name, values] of Object.entries(times)) console.log(row(name, values));
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
