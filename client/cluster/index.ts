/**
 * A real Temporal cluster for tests, benches and `clo cluster up`: the server built from
 * go.temporal.io/server (tools/temporal-server), its four services as separate processes,
 * persistence and SQL visibility on a private PostgreSQL. docs/cluster.md says how it is
 * built and how production differs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureClusterTools } from '../dev-stack/tools';
import {
  clusterDynamicConfig,
  renderDynamicConfig,
  renderServerConfig,
  SERVICES,
  type ServiceName,
  type ServicePorts,
} from './config';
import { startPostgres, stopPostgres, stopPostgresSync } from './postgres';
import {
  type ClusterState,
  isServiceProcess,
  readClusterState,
  readClusterStateSync,
  serviceArgs,
  spawnService,
  stopProcess,
  waitForPort,
  writeClusterState,
} from './processes';
import { connectFrontend, prepareNamespace, probeWorkflow } from './ready';
import { setupSchemas } from './schema';

export { SERVICES, NUM_HISTORY_SHARDS, type ServiceName } from './config';
export { readClusterState, type ClusterState } from './processes';

/** Options for {@link startCluster}. */
export interface StartClusterOptions {
  /** The cluster's own directory: config, logs and `cluster.json` (pids, ports). Created if missing. */
  dir: string;
  /** Progress lines (one per step). @default silent */
  log?: (line: string) => void;
  /** Dynamic config over the dev server's (config.ts clusterDynamicConfig). */
  dynamicConfig?: Record<string, unknown>;
  /** @default 'default' */
  namespace?: string;
  /**
   * Leave the cluster running when this process exits (`clo cluster up`); stop it later with
   * {@link stopCluster}. Otherwise the services and PostgreSQL are killed when this process exits.
   * @default false
   */
  detached?: boolean;
  /**
   * Frontend gRPC port (a stable address for people: `clo cluster up --port`); fails with
   * "port N in use" when it cannot be bound. @default a free port
   */
  frontendPort?: number;
  /** @default 180000 (a cold PostgreSQL + schema setup + four services on a busy 2-core machine) */
  startTimeoutMs?: number;
}

export interface TemporalCluster {
  /** Frontend gRPC address (host:port) for clients and workers. */
  address: string;
  namespace: string;
  dir: string;
  /** Stops one service (SIGTERM, SIGKILL after 10 s, or at once with `kill`) and starts it again on the same ports. */
  restartService(name: ServiceName, opts?: RestartServiceOptions): Promise<void>;
  /** Stops every service and PostgreSQL and removes the database (the dir's logs stay). */
  stop(): Promise<void>;
}

export interface RestartServiceOptions {
  /** SIGKILL instead of a graceful SIGTERM: a crash rather than a deploy. @default false */
  kill?: boolean;
}

/** Starts PostgreSQL, sets up the schemas, starts the four services and resolves once a workflow can run. */
export async function startCluster(opts: StartClusterOptions): Promise<TemporalCluster> {
  const log = opts.log ?? (() => undefined);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 180_000);
  const namespace = opts.namespace ?? 'default';
  const existing = await readClusterState(opts.dir);
  if (existing && clusterAlive(existing))
    throw new Error(
      `a cluster is already running from ${opts.dir} (${existing.address}); stop it first (clo cluster down)`,
    );
  // Its services are gone (a reboot, a kill): stop what may be left of its PostgreSQL too.
  if (existing) await stopCluster(opts.dir);
  if (opts.frontendPort !== undefined && !(await portFree(opts.frontendPort)))
    throw new Error(
      `port ${opts.frontendPort} in use: choose another frontend port, or stop what listens there`,
    );
  const tools = await ensureClusterTools();
  await mkdir(join(opts.dir, 'config'), { recursive: true });
  await mkdir(join(opts.dir, 'logs'), { recursive: true });

  const postgres = await startPostgres({ dir: opts.dir, log });
  let state: ClusterState | undefined;
  const exitGuard = () => {
    // Synchronous last resort when the starter exits without stop(): nothing outlives it. The
    // state file, not `state`: a test may have restarted a service since (a new pid).
    for (const s of Object.values(readClusterStateSync(opts.dir)?.services ?? state?.services ?? {})) {
      if (isServiceProcess(s.pid, s.args)) process.kill(s.pid, 'SIGKILL');
    }
    stopPostgresSync(postgres);
  };
  if (!opts.detached) process.once('exit', exitGuard);
  try {
    await setupSchemas({ sqlTool: tools.temporalSqlTool, postgresPort: postgres.port, log });
    const ports = await allocatePorts(opts.frontendPort);
    const dynamicConfigPath = join(opts.dir, 'config', 'dynamicconfig.yaml');
    // JSON is YAML: the server's loaders read these files as written.
    await writeFile(
      dynamicConfigPath,
      JSON.stringify(renderDynamicConfig(clusterDynamicConfig(opts.dynamicConfig)), null, 2),
    );
    await writeFile(
      join(opts.dir, 'config', 'development.yaml'),
      JSON.stringify(renderServerConfig({ postgresPort: postgres.port, ports, dynamicConfigPath }), null, 2),
    );
    const address = `127.0.0.1:${ports.frontend.grpc}`;
    // Filled in as each service starts, so a failure part-way still stops those already running.
    const services: Partial<ClusterState['services']> = {};
    state = {
      version: 1,
      address,
      namespace,
      dir: opts.dir,
      serverBin: tools.temporalServer,
      serverVersion: tools.temporalServerVersion,
      postgres,
      services: services as ClusterState['services'],
      detached: opts.detached ?? false,
      startedAt: new Date().toISOString(),
    };
    const started = state;
    const start = async (name: ServiceName) => {
      const args = serviceArgs(opts.dir, name);
      const logFile = join(opts.dir, 'logs', `${name}.log`);
      services[name] = {
        pid: spawnService(tools.temporalServer, args, logFile),
        args,
        ports: ports[name],
        log: logFile,
      };
      await waitForService(started, name, deadline);
    };
    // The first process to start writes the cluster metadata row; several at once on a fresh
    // database race for it and the losers exit (duplicate key). History first, then the rest.
    await start('history');
    await Promise.all(SERVICES.filter((name) => name !== 'history').map(start));
    await writeClusterState(state);
    log(`services: ${SERVICES.map((s) => `${s} pid ${started.services[s].pid}`).join(', ')}`);
    const connection = await connectFrontend(address, deadline);
    try {
      await prepareNamespace(connection, namespace, deadline);
      await probeWorkflow(connection, namespace, deadline);
    } finally {
      await connection.close();
    }
    log(`cluster ready at ${address}, namespace ${namespace}`);
  } catch (err) {
    if (!opts.detached) process.off('exit', exitGuard);
    await stopEverything(state, postgres);
    const logs = state ? ` (service logs in ${join(opts.dir, 'logs')})` : '';
    throw new Error(`${(err as Error).message}${logs}`, { cause: err });
  }
  const running = state;
  return {
    address: running.address,
    namespace,
    dir: opts.dir,
    restartService: (name, restartOpts) => restartService(opts.dir, name, restartOpts),
    stop: async () => {
      if (!opts.detached) process.off('exit', exitGuard);
      await stopCluster(opts.dir);
    },
  };
}

/**
 * Restarts one service of the cluster recorded in `dir` from any process: stops the recorded
 * pid, starts the same command again, records the new pid, and resolves once a workflow runs.
 */
export async function restartService(
  dir: string,
  name: ServiceName,
  opts: RestartServiceOptions = {},
): Promise<void> {
  const state = await readClusterState(dir);
  if (!state) throw new Error(`no cluster state in ${dir}: was the cluster started there?`);
  const service = state.services[name];
  await stopProcess(service.pid, service.args, opts.kill ? { signal: 'SIGKILL' } : {});
  const pid = spawnService(state.serverBin, service.args, service.log);
  const next: ClusterState = { ...state, services: { ...state.services, [name]: { ...service, pid } } };
  await writeClusterState(next);
  const deadline = Date.now() + 120_000;
  await waitForService(next, name, deadline);
  const connection = await connectFrontend(state.address, deadline);
  try {
    await probeWorkflow(connection, state.namespace, deadline);
  } finally {
    await connection.close();
  }
}

/** Stops the cluster recorded in `dir` (services, then PostgreSQL, whose data is removed). Safe to call twice. */
export async function stopCluster(dir: string): Promise<void> {
  const state = await readClusterState(dir);
  if (!state) return;
  await stopEverything(state, state.postgres);
  await rm(join(dir, 'cluster.json'), { force: true });
}

/** Whether any of the cluster's services is still running. */
export function clusterAlive(state: ClusterState): boolean {
  return Object.values(state.services).some((s) => isServiceProcess(s.pid, s.args));
}

async function stopEverything(
  state: ClusterState | undefined,
  postgres: ClusterState['postgres'],
): Promise<void> {
  // The cluster is thrown away after this, so no long graceful drain: 5 s, then SIGKILL.
  await Promise.all(
    Object.values(state?.services ?? {}).map((s) => stopProcess(s.pid, s.args, { graceMs: 5000 })),
  );
  await stopPostgres(postgres);
}

async function waitForService(state: ClusterState, name: ServiceName, deadline: number): Promise<void> {
  const service = state.services[name];
  // The worker service serves no gRPC (it only runs system workflows): its ringpop port shows it up.
  await waitForPort(name === 'worker' ? service.ports.membership : service.ports.grpc, {
    deadline,
    alive: () => isServiceProcess(service.pid, service.args),
    what: `the ${name} service (log ${service.log})`,
  });
}

/**
 * Two ports per service (gRPC, membership) and the frontend's HTTP port, all distinct and
 * below 32768: PostgreSQL's cluster_membership table keeps the membership port in a SMALLINT
 * (schema/postgresql/v12/temporal/schema.sql), and the kernel's free ports are above it.
 */
async function allocatePorts(frontendPort?: number): Promise<Record<ServiceName, ServicePorts>> {
  const taken = new Set<number>(frontendPort === undefined ? [] : [frontendPort]);
  const next = async (): Promise<number> => {
    for (;;) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(port) && (await portFree(port))) {
        taken.add(port);
        return port;
      }
    }
  };
  const ports = {} as Record<ServiceName, ServicePorts>;
  for (const name of SERVICES) {
    ports[name] = {
      grpc: name === 'frontend' && frontendPort !== undefined ? frontendPort : await next(),
      membership: await next(),
      ...(name === 'frontend' ? { http: await next() } : {}),
    };
  }
  return ports;
}

/** Whether 127.0.0.1:`port` can be bound now (another process could take it before the service does). */
async function portFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
