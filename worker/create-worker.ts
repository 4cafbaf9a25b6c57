/**
 * Builds a Worker for the configured task queue: the bundled workflows plus the
 * activities, injected with one VCenterClients pool for the worker's life.
 * Used by `clo worker` and by the tests, so both run the same wiring.
 *
 * Beside it runs a second, activity-only Worker on this host's own task queue
 * (`<taskQueue>@<host name>`, or `@<worker.hostId>` when set; see hostTaskQueueFor). The download saga learns that
 * queue when it starts and runs everything that touches the destination directory
 * there (planning, each file's download, part-file cleanup), so a download retried
 * after a crash lands on the disk that already holds its part file, and resumes.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { hostTaskQueueFor } from '../activities/download-files';
import { VCenterClients } from '../activities/vcenter-clients';
import { withActivityContext } from '../activities/logger';
import type { ContentLibraryLogger } from '../activities/content-library';
import { temporalConnectionOptions, type CloConfig } from '../temporal.config';
import { dataConverterOptions } from '../codec/data-converter';
import { workerDeploymentOptionsFor } from './versioning';
import { leaseTaskQueueFor } from '../workflows/definitions/task-queues';
import { shutdownHandOff } from './shutdown-hand-off';
import { checkWorkflowBundle } from './workflow-bundle';

/** How long after the grace time aborted activities have to report before the worker gives up on them. */
const SHUTDOWN_FORCE_SLACK_MS = 3000;

/** Options for {@link createWorker}. */
export interface CreateWorkerOptions {
  config: CloConfig;
  /** An existing connection; otherwise one is opened from `config.temporal` and closed by `close()`. */
  connection?: NativeConnection;
  /**
   * A prebuilt bundle (tests bundle once per run); otherwise workflows/ is bundled at start.
   * With an encryption key it must be built with --sealed-failures (checkWorkflowBundle).
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** @default config.temporal.taskQueue */
  taskQueue?: string;
  identity?: string;
  logger?: ContentLibraryLogger;
}

export interface CloWorker {
  worker: Worker;
  /**
   * Polls {@link hostTaskQueue} with the same activities. It runs from creation until
   * `close()`, whether or not `worker` is running, so callers need not manage it.
   */
  hostWorker: Worker;
  /** This host's own task queue: `<taskQueue>@<host name or worker.hostId>`. */
  hostTaskQueue: string;
  /**
   * Polls the lease queue (`<taskQueue>/lease`): the sagas' keep-alive activities, with
   * slots of their own so a lease never waits behind transfers. Runs like `hostWorker`.
   */
  leaseWorker: Worker;
  /** Stops the host worker and closes what createWorker opened: vCenter sessions and, if it opened it, the connection. */
  close: () => Promise<void>;
}

/**
 * NativeConnection.connect failed. Its message's first part says what failed ("tcp connect error",
 * "Failed to call GetSystemInfo: ... h2 protocol error"); the rest is Rust's chain. `clo worker`
 * (client/commands/worker.ts) reports it as every other command reports an unreachable Temporal.
 */
export class TemporalConnectError extends Error {
  override readonly name = 'TemporalConnectError';
  constructor(
    readonly address: string,
    readonly why: string,
  ) {
    super(`cannot connect to Temporal at ${address}: ${why}`);
  }
}

async function connectNative(config: CloConfig): Promise<NativeConnection> {
  const { address } = config.temporal;
  return await NativeConnection.connect(temporalConnectionOptions(config.temporal)).catch((err: unknown) => {
    throw new TemporalConnectError(
      address,
      (err instanceof Error ? err.message : String(err)).split(', source:')[0]!,
    );
  });
}

/**
 * The SDK's "Namespace x was not found or otherwise could not be described: Status { ... }" as the
 * client's NamespaceNotFoundError, which clo reports naming TEMPORAL_NAMESPACE (exit 2).
 */
function namespaceNotFound(err: unknown, namespace: string): Error | undefined {
  if (!(err instanceof Error) || !/^Namespace \S+ was not found/.test(err.message)) return undefined;
  return Object.assign(new Error(`Namespace not found: '${namespace}'`, { cause: err }), {
    name: 'NamespaceNotFoundError',
  });
}

export async function createWorker(opts: CreateWorkerOptions): Promise<CloWorker> {
  const { config } = opts;
  // Bundled at start-up, workflows get the sealed-failure converter from `converter` below;
  // a prebuilt bundle has its own compiled in, and must match the keys.
  if (opts.workflowBundle) await checkWorkflowBundle(opts.workflowBundle, config);
  const connection = opts.connection ?? (await connectNative(config));
  const vcenters = new VCenterClients(config, opts.logger ? withActivityContext(opts.logger) : undefined);
  // Activities ask visibility who owns a session (take-over, reaper): a plain client connection.
  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal));
  // Payloads sealed when keys are configured (codec/): every Worker and this Client alike.
  const converter = dataConverterOptions(config);
  const temporal = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    ...converter,
  });
  const taskQueue = opts.taskQueue ?? config.temporal.taskQueue;
  const hostTaskQueue = hostTaskQueueFor(taskQueue, config.worker.hostId);
  // All three Workers poll as one version (with a build id set): a pinned saga's downloads and
  // keep-alives must reach the build it started on, like its workflow tasks (worker/versioning.ts).
  const deploymentOptions = workerDeploymentOptionsFor(config, taskQueue);
  const versioning = deploymentOptions ? { workerDeploymentOptions: deploymentOptions } : {};
  const activities = createActivities({
    vcenters,
    temporal,
    hostTaskQueue,
    directIo: config.worker.directIo,
    readRoots: config.worker.readRoots ?? [],
    writeRoots: config.worker.writeRoots ?? [],
  });
  // Drain on SIGTERM: in-flight activities get the grace time, then are aborted and handed
  // off as a retryable failure (shutdown-hand-off.ts). An activity that ignores the abort
  // cannot hold the process past the force time: run() then throws and worker/run.ts exits.
  const drainOptions = {
    shutdownGraceTime: config.worker.shutdownGraceMs,
    shutdownForceTime: config.worker.shutdownGraceMs + SHUTDOWN_FORCE_SLACK_MS,
    interceptors: { activity: [shutdownHandOff] } as WorkerOptions['interceptors'],
  };
  const activityOptions = {
    // Transfers stream; a few at a time saturate a link without starving heartbeats.
    maxConcurrentActivityTaskExecutions: 8,
    // Cancellation reaches an activity only with a heartbeat the server sees; the SDK's
    // default throttle (80% of the heartbeat timeout) would delay an abort by tens of seconds.
    maxHeartbeatThrottleInterval: '1 second',
    ...drainOptions,
  } as const;
  // A Worker that cannot be created (a namespace the server lacks, a bad bundle) must not leave
  // these connections open: they would keep `clo worker` running after it printed the error.
  const closeOpened = async () => {
    await vcenters.close();
    await clientConnection.close();
    if (!opts.connection) await connection.close();
  };
  let created: Awaited<ReturnType<typeof createWorkers>>;
  try {
    created = await createWorkers();
  } catch (err) {
    await closeOpened().catch(() => undefined);
    throw namespaceNotFound(err, config.temporal.namespace) ?? err;
  }
  const { worker, hostWorker, leaseWorker } = created;
  async function createWorkers() {
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue,
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...versioning,
      ...converter,
      ...(opts.workflowBundle
        ? { workflowBundle: opts.workflowBundle }
        : { workflowsPath: require.resolve('../workflows') }),
      activities,
      ...activityOptions,
      // A workflow cached on a worker that died waits this long before another worker takes its
      // next task (SDK default 10 s). Saga histories are small, so a replay elsewhere is cheap.
      stickyQueueScheduleToStartTimeout: '3 seconds',
    });
    const hostWorker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: hostTaskQueue,
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...versioning,
      ...converter,
      activities,
      ...activityOptions,
    });
    const leaseWorker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: leaseTaskQueueFor(taskQueue),
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...versioning,
      ...converter,
      activities,
      // A lease is one keep_alive a minute and a heartbeat a second: cheap, so many at once.
      maxConcurrentActivityTaskExecutions: 200,
      maxHeartbeatThrottleInterval: activityOptions.maxHeartbeatThrottleInterval,
      // Its leases keep the sessions of transfers still draining alive until those end.
      ...drainOptions,
    });
    return { worker, hostWorker, leaseWorker };
  }
  let sideFailure: Error | undefined;
  // Without its host or lease queue this worker cannot finish a saga: stop it too, and report at close().
  const sideRun = (w: Worker) =>
    w.run().catch((err: unknown) => {
      sideFailure ??= err instanceof Error ? err : new Error(String(err));
      if (worker.getState() === 'RUNNING') worker.shutdown();
    });
  const hostRun = sideRun(hostWorker);
  const leaseRun = sideRun(leaseWorker);
  return {
    worker,
    hostWorker,
    hostTaskQueue,
    leaseWorker,
    close: async () => {
      for (const w of [hostWorker, leaseWorker]) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all([hostRun, leaseRun]);
      await closeOpened();
      if (sideFailure !== undefined) throw sideFailure;
    },
  };
}
