import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidInputError } from '../errors';
import type { FleetState } from '../local-cluster';

interface DirFlags {
  dir: string;
}

interface UpFlags extends DirFlags {
  port: string;
  vcsimPort?: string;
}

/**
 * `clo cluster up|down|status`: a local Temporal cluster on PostgreSQL (four services) and a
 * vcsim, detached, for a fleet of `clo worker` processes (docs/cluster.md). `up` writes the
 * workers' config and prints what to run next; `down` stops what `up` started; both are
 * idempotent. The work is in client/local-cluster.ts, loaded inside the actions so `clo --help`
 * loads none of it (bench/startup.ts).
 */
export function registerCluster(program: Command): void {
  const cluster = program
    .command('cluster')
    .description(
      'a local Temporal cluster on PostgreSQL (four services) + vcsim, running in the background, for a fleet of workers',
    );
  const dirOption = (command: Command) =>
    command.option('--dir <dir>', 'where its state, logs and the workers’ config live', '.clo/cluster');

  dirOption(cluster.command('up'))
    .description('start the cluster and vcsim in the background (if not running) and print what to run next')
    .option('--port <port>', 'Temporal frontend port', '7233')
    .option('--vcsim-port <port>', 'vcsim port (default: a free one)')
    .action(async (opts: UpFlags) => {
      const { up } = await import('../local-cluster');
      const dir = resolve(opts.dir);
      const port = portFlag('--port', opts.port);
      const vcsimPort = opts.vcsimPort === undefined ? undefined : portFlag('--vcsim-port', opts.vcsimPort);
      const { state, started } = await up({
        dir,
        port,
        ...(vcsimPort !== undefined ? { vcsimPort } : {}),
        log: (line) => console.error(`  ${line}`),
      });
      await printUp(state, started, opts.dir);
    });

  dirOption(cluster.command('down'))
    .description('stop the cluster and vcsim that `clo cluster up` started in --dir')
    .action(async (opts: DirFlags) => {
      const { down } = await import('../local-cluster');
      const dir = resolve(opts.dir);
      const stopped = await down(dir);
      if (stopped.length === 0) console.log(`clo cluster: nothing runs in ${dir}`);
      else console.log([`clo cluster: stopped in ${dir}:`, ...stopped.map((s) => `  ${s}`)].join('\n'));
    });

  dirOption(cluster.command('status'))
    .description('what runs in --dir: each process with its pid and ports, and whether the frontend answers')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: DirFlags & { json?: boolean }) => {
      const { inspect } = await import('../local-cluster');
      const state = await inspect(resolve(opts.dir));
      const frontend = state.cluster ? await frontendAnswers(state.cluster.address) : undefined;
      const allUp =
        state.processes.length > 0 && state.processes.every((p) => p.alive) && frontend?.ok === true;
      if (opts.json) {
        console.log(
          JSON.stringify({ dir: state.dir, up: allUp, frontend, processes: state.processes }, null, 2),
        );
      } else {
        console.log(statusLines(state, frontend).join('\n'));
      }
      if (state.processes.length > 0 && !allUp) {
        throw new ClusterDownError(
          `the cluster in ${state.dir} is not all up; \`clo cluster down --dir ${opts.dir}\` then \`clo cluster up --dir ${opts.dir}\` starts it afresh`,
        );
      }
    });
}

/** Some of the cluster's processes are gone or its frontend does not answer: exit 6 (unavailable). */
class ClusterDownError extends Error {
  // The class `unavailable` in client/exit-codes.ts, like a server answering 503.
  override readonly name = 'ServiceUnavailableError';
}

function portFlag(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidInputError(`${flag}: expected a TCP port from 1 to 65535 (got "${value}")`);
  }
  return port;
}

async function printUp(state: FleetState, started: string[], dirFlag: string): Promise<void> {
  const { demoCommand, cloCommand, workerCommand, FLEET_HOST_IDS, shellWord } =
    await import('../fleet-hints');
  const { cluster, vcsim } = state;
  if (!cluster || !vcsim) throw new Error(`${state.dir}: nothing recorded after starting`);
  const config = join(state.dir, 'clo.json');
  const dirArg = dirFlag === '.clo/cluster' ? '' : ` --dir ${shellWord(dirFlag)}`;
  console.log(
    [
      started.length
        ? `clo cluster is up in ${state.dir} (started: ${started.join(', ')})`
        : `clo cluster is already up in ${state.dir}: nothing started`,
      `  Temporal       ${cluster.address} (namespace ${cluster.namespace}), 4 services on PostgreSQL (port ${cluster.postgres.port})`,
      `  vCenter (sim)  ${vcsim.url}  as vCenter "default"; datastore ${vcsim.datastore}`,
      `  config         ${config}  (for the workers and clo)`,
      `  worker roots   ${join(state.dir, 'files')}  (files the workers may read and write)`,
      '',
      'Next, start three workers, each in its own shell:',
      ...FLEET_HOST_IDS.map((id) => `  ${workerCommand(config, id)}`),
      'then run the demo on the cluster:',
      `  ${demoCommand(cluster.address, cluster.namespace, config)}`,
      'See what runs, and stop it all (the workers stop with Ctrl-C):',
      `  ${cloCommand()} cluster status${dirArg}`,
      `  ${cloCommand()} cluster down${dirArg}`,
    ].join('\n'),
  );
}

/** Whether the frontend answers GetSystemInfo within 5 s, and with which server version. */
async function frontendAnswers(address: string): Promise<{ ok: boolean; detail: string }> {
  const { Connection } = await import('@temporalio/client');
  try {
    const connection = await Connection.connect({ address, connectTimeout: 5000 });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      return { ok: true, detail: `answers (server ${info.serverVersion || 'version unknown'})` };
    } finally {
      await connection.close();
    }
  } catch (err) {
    return { ok: false, detail: `does not answer (${(err as Error).message})` };
  }
}

function statusLines(state: FleetState, frontend: { ok: boolean; detail: string } | undefined): string[] {
  if (state.processes.length === 0) return [`clo cluster: nothing runs in ${state.dir}`];
  const lines = [`clo cluster in ${state.dir}:`];
  if (state.cluster) {
    lines.push(
      `  frontend ${state.cluster.address} (namespace ${state.cluster.namespace}) ${frontend?.detail ?? ''}`,
    );
  }
  for (const p of state.processes) {
    lines.push(
      `  ${p.name.padEnd(18)} ${p.alive ? `pid ${String(p.pid).padEnd(8)}` : 'NOT RUNNING '.padEnd(12)} ${p.ports}`,
    );
  }
  return lines;
}
