/**
 * `clo worker`: runs a worker until SIGINT/SIGTERM, then lets in-flight activities
 * finish (up to the shutdown grace time) before exiting. Temporal's SDK installs the
 * signal handlers itself (`shutdownSignals`); we only wait for `run()` to return.
 */
import { loadConfig } from '../temporal.config';
import { createLogger } from '../activities/logger';
import { createWorker } from './create-worker';
import { installRuntime } from './runtime';

export interface RunWorkerOptions {
  taskQueue?: string;
  /** Serve Prometheus metrics on host:port. */
  metricsAddress?: string;
}

export async function runWorker(opts: RunWorkerOptions = {}): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('worker');
  installRuntime({
    logger: logger.child({ component: 'temporal-sdk' }),
    ...(opts.metricsAddress ? { metricsAddress: opts.metricsAddress } : {}),
  });
  const { worker, close } = await createWorker({ config, logger, ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}) });
  logger.info(
    { taskQueue: opts.taskQueue ?? config.temporal.taskQueue, namespace: config.temporal.namespace, address: config.temporal.address },
    'worker started',
  );
  try {
    await worker.run();
  } finally {
    await close();
    logger.info({}, 'worker stopped');
  }
}
