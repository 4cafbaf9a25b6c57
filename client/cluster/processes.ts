/**
 * The cluster's state file and its service processes. Every service runs detached (its own
 * process group, output appended to a log file in the cluster's dir) and is known only by the
 * pid and arguments recorded in `<dir>/cluster.json`, so any process can stop or restart it:
 * the one that started the cluster, a Jest test worker, or `clo cluster down` later.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { SERVICES, type ServiceName } from './config';
import { InvalidInputError } from '../errors';

const ServicePortsSchema = z.object({
  grpc: z.number(),
  membership: z.number(),
  http: z.number().optional(),
});

const ServiceStateSchema = z.object({
  pid: z.number(),
  /** argv after the binary: what a restart runs again. */
  args: z.array(z.string()),
  ports: ServicePortsSchema,
  log: z.string(),
});
export type ServiceState = z.infer<typeof ServiceStateSchema>;

/** `<dir>/cluster.json`: everything needed to find, restart and stop a running cluster. */
export const ClusterStateSchema = z.object({
  version: z.literal(1),
  /** Frontend gRPC address clients connect to (host:port). */
  address: z.string(),
  namespace: z.string(),
  dir: z.string(),
  serverBin: z.string(),
  /** Temporal server release the binaries were built from. */
  serverVersion: z.string(),
  postgres: z.object({
    root: z.string(),
    port: z.number(),
    bin: z.string(),
    runAs: z.string().optional(),
  }),
  services: z.record(z.enum(SERVICES), ServiceStateSchema),
  /** True when started for `clo cluster up`: nothing stops it when the starter exits. */
  detached: z.boolean(),
  startedAt: z.string(),
});
export type ClusterState = z.infer<typeof ClusterStateSchema>;

export const STATE_FILE = 'cluster.json';

/** Reads `<dir>/cluster.json`; undefined when no cluster was started there. */
export async function readClusterState(dir: string): Promise<ClusterState | undefined> {
  let raw: string;
  try {
    raw = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = ClusterStateSchema.safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new Error(`${join(dir, STATE_FILE)} is not a cluster state file: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The same, synchronously (for an `exit` handler); undefined when missing or unreadable. */
export function readClusterStateSync(dir: string): ClusterState | undefined {
  try {
    return ClusterStateSchema.parse(JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Written to a temp name and renamed, so a reader never sees half a file. */
export async function writeClusterState(state: ClusterState): Promise<void> {
  const path = join(state.dir, STATE_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
}

/** Arguments for one service process: every process loads the same `<dir>/config/development.yaml`. */
export function serviceArgs(dir: string, name: ServiceName): string[] {
  return [
    '--root',
    dir,
    '--config',
    'config',
    '--env',
    'development',
    '--allow-no-auth',
    'start',
    '--service',
    name,
  ];
}

/** Starts one service detached, its output appended to `log`; returns its pid. */
export function spawnService(serverBin: string, args: string[], log: string): number {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(serverBin, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${serverBin} ${args.join(' ')}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `pid` is still this service: alive, not a zombie, and its command line is ours
 * (a recycled pid belongs to someone else and must not be signalled).
 */
export function isServiceProcess(pid: number, args: string[]): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name: Z is a zombie, already dead.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.every((arg, i) => cmdline[i + 1] === arg);
  } catch {
    return false;
  }
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(
  pid: number,
  args: string[],
  opts: { graceMs?: number; signal?: NodeJS.Signals } = {},
): Promise<void> {
  if (!isServiceProcess(pid, args)) return;
  try {
    process.kill(pid, opts.signal ?? 'SIGTERM');
  } catch {
    return;
  }
  const killAt = Date.now() + (opts.graceMs ?? 10_000);
  while (isServiceProcess(pid, args)) {
    if (Date.now() > killAt) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
export async function listening(port: number): Promise<boolean> {
  return await new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

/**
 * An InvalidInputError naming `flag` when something already listens on `port`: started on a busy
 * port, a server exits, and a readiness probe would find the one already there. `suspect` says
 * what that likely is, `what` what the flag starts.
 */
export async function refuseBusyPort(
  port: number,
  flag: string,
  what: string,
  suspect: string,
): Promise<void> {
  if (await listening(port))
    throw new InvalidInputError(
      `${flag} ${port}: something already listens on 127.0.0.1:${port} (${suspect}); stop it, or start ${what} on another port with ${flag} <port>`,
    );
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(
  port: number,
  opts: { deadline: number; alive: () => boolean; what: string },
): Promise<void> {
  while (!(await listening(port))) {
    if (!opts.alive()) throw new Error(`${opts.what} exited before it listened on port ${port}`);
    if (Date.now() > opts.deadline) throw new Error(`${opts.what} did not listen on port ${port} in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
