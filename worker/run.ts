/**
 * `clo worker`: runs a worker until SIGINT/SIGTERM, then lets in-flight activities
 * finish (up to the shutdown grace time) before exiting. Temporal's SDK installs the
 * signal handlers itself (`shutdownSignals`); we only wait for `run()` to return.
 */
import { setFlagsFromString } from 'node:v8';
import { loadConfig } from '../temporal.config';
import { createLogger } from '../activities/logger';
import { createWorker } from './create-worker';
import { installRuntime } from './runtime';
import { resolveWorkflowBundle } from './workflow-bundle';

export interface RunWorkerOptions {
  taskQueue?: string;
  /** Serve Prometheus metrics on host:port. */
  metricsAddress?: string;
  /** A prebuilt workflow bundle (`npm run build:workflows`); see resolveWorkflowBundle for the default. */
  workflowBundle?: string;
}

export async function runWorker(opts: RunWorkerOptions = {}): Promise<void> {
  // undici parses HTTP with llhttp compiled to WebAssembly. By default V8 soon recompiles that
  // module with its optimizing tier, whose register allocator needs ~35 MiB for llhttp's one
  // huge function: the worker's resident set peaked there, at its first transfer. The baseline
  // tier parses no measurably slower (bodies pass through llhttp in spans). V8 reads the flag
  // when it compiles a module, and undici compiles llhttp at its first connection, after this;
  // NODE_OPTIONS cannot carry this flag.
  setFlagsFromString('--liftoff-only');
  const config = loadConfig();
  const logger = createLogger('worker');
  installRuntime({
    logger: logger.child({ component: 'temporal-sdk' }),
    ...(opts.metricsAddress ? { metricsAddress: opts.metricsAddress } : {}),
  });
  const bundle = resolveWorkflowBundle(opts.workflowBundle);
  const { worker, hostTaskQueue, close } = await createWorker({
    config,
    logger,
    ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  });
  logger.info(
    {
      taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
      hostTaskQueue,
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      workflowBundle: bundle ?? 'bundled at start-up',
    },
    'worker started',
  );
  try {
    await worker.run();
  } finally {
    await close();
    logger.info({}, 'worker stopped');
  }
}
