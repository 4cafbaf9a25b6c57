/**
 * A private PostgreSQL for the test cluster: Debian's server binaries, a data directory of
 * its own in a temp dir, loopback only, on a free port. PostgreSQL refuses to run as root,
 * so as root every server command runs as the unprivileged `postgres` account (runuser).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../dev-stack/free-port';

/** Where Debian's postgresql-15 package puts initdb, pg_ctl and postgres; CLO_PG_BIN overrides it. */
export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';

/** The superuser initdb creates; Temporal connects as it (trust auth, loopback only). */
export const PG_USER = 'temporal';

/** What a running instance is, as the cluster's state file records it. */
export interface PostgresInfo {
  /** Directory holding `data/` and `postgres.log`, owned by the account the server runs as. */
  root: string;
  port: number;
  bin: string;
  /** The account server commands run as, or undefined when they run as ourselves (not root). */
  runAs?: string;
}

const run = promisify(execFile);

/** Runs a PostgreSQL program as `runAs` (or as ourselves); rejects with its output when it fails. */
async function pgCommand(
  info: Pick<PostgresInfo, 'bin' | 'runAs'>,
  program: string,
  args: string[],
): Promise<void> {
  const path = join(info.bin, program);
  const [file, argv] = info.runAs ? ['runuser', ['-u', info.runAs, '--', path, ...args]] : [path, args];
  // detached: the postmaster pg_ctl leaves behind is in a session of its own, out of reach of a
  // Ctrl-C meant for the process that started it (`clo cluster up` returns; the cluster stays).
  const child = spawn(file, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${program} ${args.join(' ')} failed (exit ${code}): ${output.trim()}`);
}

/** Numeric uid/gid of a local account, for chown. */
async function accountIds(name: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', name]),
    run('id', ['-g', name]),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/**
 * initdb + pg_ctl start. As root the data lives in a fresh temp dir owned by `postgres`
 * (the caller's `dir` may sit under a home directory that account cannot traverse); otherwise
 * under `dir/postgres`.
 */
export async function startPostgres(opts: {
  dir: string;
  log?: (line: string) => void;
}): Promise<PostgresInfo> {
  const bin = process.env.CLO_PG_BIN ?? DEFAULT_PG_BIN;
  if (!existsSync(join(bin, 'initdb')))
    throw new Error(
      `PostgreSQL server programs not found in ${bin}: install Debian's postgresql-15 package, ` +
        'or set CLO_PG_BIN to the directory holding initdb and pg_ctl',
    );
  const asRoot = process.getuid?.() === 0;
  let root: string;
  let runAs: string | undefined;
  if (asRoot) {
    runAs = process.env.CLO_PG_USER ?? 'postgres';
    root = await mkdtemp(join(tmpdir(), 'clo-pg-'));
    const { uid, gid } = await accountIds(runAs).catch(() => {
      throw new Error(
        `running as root, PostgreSQL needs an unprivileged account to run as; "${runAs}" does not exist ` +
          '(set CLO_PG_USER to one that does)',
      );
    });
    await chown(root, uid, gid);
  } else {
    root = join(opts.dir, 'postgres');
    await mkdir(root, { recursive: true });
  }
  const info: PostgresInfo = { root, port: 0, bin, ...(runAs ? { runAs } : {}) };
  const data = join(root, 'data');
  opts.log?.(`postgres: initdb ${data}`);
  // --no-sync: a throwaway test database; -U names the superuser Temporal connects as.
  await pgCommand(info, 'initdb', [
    '-D',
    data,
    '-U',
    PG_USER,
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  // Durability settings are off because the instance lives as long as one test run or one
  // `clo cluster up`; a production database keeps the defaults (docs/cluster.md). Four Temporal
  // services each hold pools to two databases, more than the default 100 connections allow.
  await appendFile(
    join(data, 'postgresql.conf'),
    [
      '',
      '# clo test cluster (client/cluster/postgres.ts)',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${root}'`,
      'max_connections = 300',
      'shared_buffers = 64MB',
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      '',
    ].join('\n'),
  );
  // Another process may take the free port before the server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    info.port = await freePort('127.0.0.1');
    try {
      await pgCommand(info, 'pg_ctl', [
        '-D',
        data,
        '-l',
        join(root, 'postgres.log'),
        '-o',
        `-p ${info.port}`,
        '-w',
        '-t',
        '60',
        'start',
      ]);
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  opts.log?.(`postgres: listening on 127.0.0.1:${info.port}`);
  return info;
}

/** pg_ctl stop (fast: open connections are cut), then removes the data. Safe to call twice. */
export async function stopPostgres(info: PostgresInfo): Promise<void> {
  const data = join(info.root, 'data');
  if (existsSync(join(data, 'postmaster.pid')))
    await pgCommand(info, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']).catch(() =>
      pgCommand(info, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    );
  await rm(info.root, { recursive: true, force: true });
}

/** The same, synchronously, for a process `exit` handler (immediate: no checkpoint, the data goes anyway). */
export function stopPostgresSync(info: PostgresInfo): void {
  const args = ['-D', join(info.root, 'data'), '-m', 'immediate', '-w', 'stop'];
  const path = join(info.bin, 'pg_ctl');
  if (info.runAs) spawnSync('runuser', ['-u', info.runAs, '--', path, ...args], { stdio: 'ignore' });
  else spawnSync(path, args, { stdio: 'ignore' });
  rmSync(info.root, { recursive: true, force: true });
}
