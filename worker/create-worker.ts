/**
 * Builds a Worker for the configured task queue: the bundled workflows plus the
 * activities, injected with one VCenterClients pool for the worker's life.
 * Used by `clo worker` and by the tests, so both run the same wiring.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { VCenterClients } from '../activities/vcenter-clients';
import type { ContentLibraryLogger } from '../activities/content-library';
import { temporalConnectionOptions, type CloConfig } from '../temporal.config';

/** Options for {@link createWorker}. */
export interface CreateWorkerOptions {
  config: CloConfig;
  /** An existing connection; otherwise one is opened from `config.temporal` and closed by `close()`. */
  connection?: NativeConnection;
  /** A prebuilt bundle (tests bundle once per run); otherwise workflows/ is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** @default config.temporal.taskQueue */
  taskQueue?: string;
  identity?: string;
  logger?: ContentLibraryLogger;
}

export interface CloWorker {
  worker: Worker;
  /** Closes what createWorker opened: vCenter sessions and, if it opened it, the connection. */
  close: () => Promise<void>;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<CloWorker> {
  const { config } = opts;
  const connection = opts.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config.temporal)));
  const vcenters = new VCenterClients(config, opts.logger);
  // Activities ask visibility who owns a session (take-over, reaper): a plain client connection.
  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ vcenters, temporal }),
    // Transfers stream; a few at a time saturate a link without starving heartbeats.
    maxConcurrentActivityTaskExecutions: 8,
    // Cancellation reaches an activity only with a heartbeat the server sees; the SDK's
    // default throttle (80% of the heartbeat timeout) would delay an abort by tens of seconds.
    maxHeartbeatThrottleInterval: '1 second',
  });
  return {
    worker,
    close: async () => {
      await vcenters.close();
      await clientConnection.close();
      if (!opts.connection) await connection.close();
    },
  };
}
