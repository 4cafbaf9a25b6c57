/**
 * What bench/upload-profile.ts and bench/download-profile.ts share: worker builds to compare side
 * by side (PROFILE_VARIANTS), a `clo worker` process per variant on its own task queue, and
 * timing a peer tool's own CPU under /usr/bin/time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CloConfig } from '../temporal.config';
import { WORKER_MALLOC_ARENA_MAX, WORKER_NODE_OPTIONS } from '../test/support/worker-process';

/** One worker build: `label=path/to/bin/clo|ENV=value|...` in PROFILE_VARIANTS. */
export interface Variant {
  label: string;
  clo: string;
  env: Record<string, string>;
}

/** PROFILE_VARIANTS (comma-separated), default this checkout's bin/clo. */
export function variants(): Variant[] {
  return (process.env.PROFILE_VARIANTS ?? 'clo=bin/clo').split(',').map((spec) => {
    const [head, ...pairs] = spec.split('|');
    const [label, clo] = head!.split('=');
    const env = Object.fromEntries(
      pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
    );
    return { label: label!, clo: resolve(clo!), env };
  });
}

/** Runs `cmd` under /usr/bin/time and returns its wall seconds and its own CPU seconds. */
export async function timedTool(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<[number, number]> {
  const out = join('/tmp', `profile-time-${randomUUID()}`);
  const started = process.hrtime.bigint();
  await promisify(execFile)('/usr/bin/time', ['-o', out, '-f', '%U %S', cmd, ...args], {
    env: { ...process.env, ...env },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [u, s] = (await readFile(out, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  await rm(out, { force: true });
  return [seconds, u! + s!];
}

/** A variant's worker, started: its process, task queue, configuration and log so far. */
export interface VariantWorker {
  v: Variant;
  child: ChildProcess;
  queue: string;
  config: CloConfig;
  /** The worker's log lines so far (JSON, one a line). */
  log: () => string;
}

/**
 * Starts `v`'s `clo worker` on a task queue of its own against `targetUrl`, with `dir` as its
 * allowed roots and `bundle` as its workflow code; resolves once it logs `worker started`.
 */
export async function startVariantWorker(
  v: Variant,
  opts: { prefix: string; temporalAddress: string; targetUrl: string; dir: string; bundle: string },
): Promise<VariantWorker> {
  const queue = `${opts.prefix}-${v.label}-${randomUUID()}`;
  const config = CloConfig.parse({
    temporal: { address: opts.temporalAddress, namespace: 'default', taskQueue: queue },
    vcenters: { bench: { url: opts.targetUrl, username: 'user', password: 'pass', allowPlainHttp: true } },
    timeouts: { keepAliveIntervalMs: '30s', heartbeatTimeoutMs: '30s' },
    worker: { readRoots: [opts.dir], writeRoots: [opts.dir] },
  });
  const file = join(opts.dir, `${v.label}.json`);
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  const { NODE_OPTIONS: extra, NODE_ARGS: nodeArgs, ...env } = v.env;
  const child = spawn(process.execPath, [...(nodeArgs?.split(' ') ?? []), v.clo, 'worker'], {
    env: {
      ...process.env,
      NODE_OPTIONS: [WORKER_NODE_OPTIONS, extra].filter(Boolean).join(' '),
      MALLOC_ARENA_MAX: WORKER_MALLOC_ARENA_MAX,
      CLO_CONFIG_FILE: file,
      CLO_WORKFLOW_BUNDLE: opts.bundle,
      CLO_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((ok, fail) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('worker started')) ok();
    });
    child.once('exit', (code) => fail(new Error(`worker ${v.label} exited ${code}: ${out}`)));
  });
  return { v, child, queue, config, log: () => out };
}
