/**
 * The Temporal server's static config (one file every service process loads) and its
 * dynamic config file, for the test cluster on PostgreSQL. Both are written as JSON, which
 * the server's YAML loader reads unchanged.
 */
import { DEV_SERVER_DYNAMIC_CONFIG } from '../dev-stack/temporal-dev-server';
import { PG_USER } from './postgres';

/** The four services, each run as its own process. */
export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * History shards. Fixed when the cluster's database is created: the server records the count
 * then and ignores (with a warning) another value in a later config, so changing it means a
 * new cluster and a migration (docs/cluster.md). 4 spreads workflows over more than one shard (unlike the dev
 * server's 1) while keeping the per-shard queues cheap on a 2-core machine; production sizes
 * it for its peak (512 and up).
 */
export const NUM_HISTORY_SHARDS = 4;

/** Ports one service listens on: gRPC for clients/peers, membership (ringpop) for the ring. */
export interface ServicePorts {
  grpc: number;
  membership: number;
  /** Frontend only: the HTTP API (and Nexus callbacks). */
  http?: number;
}

export interface ClusterConfigInput {
  postgresPort: number;
  ports: Record<ServiceName, ServicePorts>;
  /** Directory for the dynamic config file reference (absolute). */
  dynamicConfigPath: string;
}

export const PERSISTENCE_DB = 'temporal';
export const VISIBILITY_DB = 'temporal_visibility';

const HOST = '127.0.0.1';

function sqlStore(port: number, database: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${HOST}:${port}`,
      connectProtocol: 'tcp',
      user: PG_USER,
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/** The static config: persistence and SQL visibility on PostgreSQL, each service's ports. */
export function renderServerConfig(input: ClusterConfigInput): Record<string, unknown> {
  const frontend = input.ports.frontend;
  const services = Object.fromEntries(
    SERVICES.map((name) => {
      const p = input.ports[name];
      return [
        name,
        {
          rpc: {
            grpcPort: p.grpc,
            membershipPort: p.membership,
            bindOnIP: HOST,
            ...(p.http ? { httpPort: p.http } : {}),
          },
        },
      ];
    }),
  );
  return {
    log: { stdout: true, level: 'warn', format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      // SQL "advanced visibility": custom search attributes and List queries answered by
      // PostgreSQL, no Elasticsearch (docs/cluster.md says when production needs it).
      visibilityStore: 'postgres-visibility',
      numHistoryShards: NUM_HISTORY_SHARDS,
      datastores: {
        'postgres-default': sqlStore(input.postgresPort, PERSISTENCE_DB, 20),
        'postgres-visibility': sqlStore(input.postgresPort, VISIBILITY_DB, 10),
      },
    },
    global: {
      // Services find each other through the cluster_membership table and ringpop on these ports.
      membership: { maxJoinDuration: '30s', broadcastAddress: HOST },
    },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${HOST}:${frontend.grpc}`,
          ...(frontend.http ? { httpAddress: `${HOST}:${frontend.http}` } : {}),
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    // The worker service (system workflows: deployments, batch, scheduler) reaches the frontend here.
    publicClient: { hostPort: `${HOST}:${frontend.grpc}` },
    dynamicConfigClient: { filepath: input.dynamicConfigPath, pollInterval: '10s' },
  };
}

/**
 * The dynamic config the dev server runs with, so sagas behave the same on both: the CLI
 * v1.5.1 dev server's own defaults (temporalcli/commands.server.go and devserver/server.go)
 * plus ours ({@link DEV_SERVER_DYNAMIC_CONFIG}: queue poll rates, one task-queue partition,
 * eager activities, quick version drainage for Worker Versioning, which is on by default in
 * 1.29 as on the dev server). `overrides` win.
 */
export function clusterDynamicConfig(
  overrides: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    // The CLI's dev server: search attributes visible as soon as they are created.
    'system.forceSearchAttributesCacheRefreshOnRead': true,
    'frontend.persistenceMaxQPS': 10000,
    'history.persistenceMaxQPS': 45000,
    'history.hostLevelCacheMaxSize': 8096,
    'frontend.namespaceRPS.visibility': 100,
    // A namespace created at start-up is usable within a second, not the default 10 s.
    'system.namespaceCacheRefreshInterval': 1,
    ...DEV_SERVER_DYNAMIC_CONFIG,
    ...overrides,
  };
}

/** The file format of the server's file-based dynamic config client: each key a list of constrained values. */
export function renderDynamicConfig(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, [{ value, constraints: {} }]]),
  );
}
