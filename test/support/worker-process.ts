/**
 * A real `clo worker` in its own process, so a test can SIGKILL it mid-transfer the
 * way a crash or an OOM kill would, and start another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CloConfig } from '../../temporal.config';

const CLO = resolve(__dirname, '../../bin/clo');

/**
 * V8 options a worker runs with, as docs/operations.md recommends deploying it: a 1 MiB young
 * generation semi-space (V8 grows it up to 16 MiB, in the main thread and again in the
 * workflow thread) keeps about 25 MiB off the resident set (an idle worker: ~200 → ~174 MiB),
 * at no measurable cost in throughput.
 */
export const WORKER_NODE_OPTIONS = '--max-semi-space-size=1';

/**
 * glibc malloc arenas a worker runs with, as docs/operations.md recommends: by default each of the
 * process's many threads (libuv's pool, V8's, the Temporal core's tokio runtime) may get an
 * arena of its own, and memory freed in one is not reused by another. Two arenas keep ~15 MiB
 * off the resident set, idle and at peak (measured: 165 → 152 MiB idle, 190 → 172 MiB during
 * a 1 GiB download) at no measurable cost in throughput. glibc reads it at process start.
 */
export const WORKER_MALLOC_ARENA_MAX = '2';

/**
 * Timeouts for tests that SIGKILL a worker: its activity is retried 3 s after the last heartbeat
 * (not the default 30 s), and sessions are kept alive every 2 s. Changes and returns `config`.
 */
export function quickFailover(config: CloConfig): CloConfig {
  config.timeouts.heartbeatTimeoutMs = 3000;
  config.timeouts.keepAliveIntervalMs = 2000;
  return config;
}

/**
 * The stack run's workflow bundle (global setup builds one), which the worker runs as a
 * deployed one runs its prebuilt bundle: no webpack at start-up. Outside the stack, none.
 */
function stackWorkflowBundle(): NodeJS.ProcessEnv {
  const raw = process.env.CLO_TEST_STACK;
  const path = raw ? (JSON.parse(raw) as { workflowBundlePath?: string }).workflowBundlePath : undefined;
  return path ? { CLO_WORKFLOW_BUNDLE: path } : {};
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** SIGKILL: no graceful shutdown, no chance to report anything. */
  kill: () => Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop: () => Promise<number | null>;
}

/**
 * Writes `config` as a clo config file in `dir` and starts a worker process on it (in `cwd`
 * when given: test/support/worker-fleet.ts gives each host its own "disk" that way).
 */
export async function startWorkerProcess(
  config: CloConfig,
  dir: string,
  name: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<WorkerProcess> {
  const file = join(dir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      temporal: config.temporal,
      vcenters: config.vcenters,
      timeouts: config.timeouts,
      worker: config.worker,
    }),
    { mode: 0o600 },
  );
  const nodeOptions = [process.env.NODE_OPTIONS, WORKER_NODE_OPTIONS].filter(Boolean).join(' ');
  const child = spawn(process.execPath, [CLO, 'worker', ...args], {
    env: {
      ...process.env,
      ...stackWorkflowBundle(),
      NODE_OPTIONS: nodeOptions,
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? WORKER_MALLOC_ARENA_MAX,
      CLO_CONFIG_FILE: file,
      CLO_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`worker ${name} did not start:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('"msg":"worker started"')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`worker ${name} exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return await exited;
    },
  };
}
