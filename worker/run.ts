/**
 * `clo worker`: runs a worker until SIGINT/SIGTERM, then drains: polling stops, in-flight
 * activities may finish within `worker.shutdownGraceMs`, and those still running then are
 * aborted and handed off to another worker as a retryable failure (create-worker.ts,
 * shutdown-hand-off.ts). Temporal's SDK installs the signal handlers itself
 * (`shutdownSignals`); we wait for `run()` to return, and bound the whole exit.
 */
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from '../temporal.config';
import { createLogger } from '../activities/logger';
import { createWorker } from './create-worker';
import { installRuntime } from './runtime';
import { resolveWorkflowBundle } from './workflow-bundle';
import { workerDeploymentOptionsFor } from './versioning';

export interface RunWorkerOptions {
  taskQueue?: string;
  /** Serve Prometheus metrics on host:port. */
  metricsAddress?: string;
  /** A prebuilt workflow bundle (`npm run build:workflows`); see resolveWorkflowBundle for the default. */
  workflowBundle?: string;
  /** Overrides `worker.buildId` (CLO_BUILD_ID): run as a version of the Worker Deployment. */
  buildId?: string;
  /** Overrides `worker.deploymentName` (CLO_DEPLOYMENT_NAME). */
  deploymentName?: string;
}

export async function runWorker(opts: RunWorkerOptions = {}): Promise<void> {
  // undici parses HTTP with llhttp compiled to WebAssembly. By default V8 soon recompiles that
  // module with its optimizing tier, whose register allocator needs ~35 MiB for llhttp's one
  // huge function: the worker's resident set peaked there, at its first transfer. The baseline
  // tier parses no measurably slower (bodies pass through llhttp in spans). V8 reads the flag
  // when it compiles a module, and undici compiles llhttp at its first connection, after this;
  // NODE_OPTIONS cannot carry this flag.
  setFlagsFromString('--liftoff-only');
  // V8 sizes the old generation's next limit by a growing factor it derives from its recent
  // GC and allocation speeds. After ~8 s idle its memory reducer shrinks the heap, and the
  // factor it then picked was so small that a transfer ran a full mark-compact every ~100 ms
  // (50–60 per GiB downloaded from the simulator, against 1–2): the worker's CPU per GiB went
  // from ~2.6 s to ~7 s, the transfer ran at half speed, and any transfer that followed an
  // idle worker paid it (npm run bench:download, docs/benchmarks.md). A fixed factor
  // of 1.5 keeps the old generation within half again its live size (RSS no higher) and
  // the mark-compacts to a few per GiB. V8 reads it at every GC, so setting it here works.
  setFlagsFromString('--heap-growing-percent=50');
  const config = loadConfig();
  if (opts.buildId) config.worker.buildId = opts.buildId;
  if (opts.deploymentName) config.worker.deploymentName = opts.deploymentName;
  // A deployment name alone would be silently ignored: only a build id makes a worker versioned.
  if (opts.deploymentName && !config.worker.buildId) {
    throw new ConfigError('--deployment-name: give --build-id too (or set CLO_BUILD_ID)');
  }
  const deployment = workerDeploymentOptionsFor(config, opts.taskQueue ?? config.temporal.taskQueue);
  const logger = createLogger('worker');
  installRuntime({
    logger: logger.child({ component: 'temporal-sdk' }),
    ...(opts.metricsAddress ? { metricsAddress: opts.metricsAddress } : {}),
  });
  const bundle = resolveWorkflowBundle(opts.workflowBundle, process.env, Boolean(config.temporal.encryption));
  const { worker, hostTaskQueue, close } = await createWorker({
    config,
    logger,
    ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  }).catch((err: unknown) => {
    // When Worker.create fails (a namespace the server lacks), a MessagePort the SDK opened stays
    // referenced and `clo worker` would print the error and then run on: exit after the report.
    setTimeout(() => process.exit(), 2000).unref();
    throw err;
  });
  logger.info(
    {
      taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
      hostTaskQueue,
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      workflowBundle: bundle ?? 'bundled at start-up',
      // Unversioned unless a build id is set; then it gets only what the server routes to it.
      deploymentVersion: deployment ? deployment.version : 'unversioned',
    },
    'worker started',
  );
  const exitBound = boundShutdown(config.worker.shutdownGraceMs, logger);
  try {
    await worker.run();
  } finally {
    exitBound.stopListening();
    await close();
    logger.info({}, 'worker stopped');
  }
}

/**
 * Past the grace time the SDK aborts what still runs and, a few seconds later, gives up on
 * it (shutdownForceTime); what is left then (an activity that ignored its abort, a close that
 * waits on it) must not keep a process that was told to stop alive until an orchestrator's
 * SIGKILL: exit on our own, the work goes elsewhere at its heartbeat timeout.
 */
const EXIT_SLACK_MS = 5000;

function boundShutdown(graceMs: number, logger: Logger): { stopListening(): void } {
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (timer) {
      // A second Ctrl-C means now, as it did before this handler existed.
      logger.warn({ signal }, 'second signal: exiting without waiting for in-flight activities');
      process.exit(1);
    }
    logger.info({ signal, graceMs }, 'worker draining: polling stopped, in-flight activities may finish');
    timer = setTimeout(() => {
      logger.error({ graceMs }, 'worker did not stop within its shutdown grace time; exiting');
      process.exit(1);
    }, graceMs + EXIT_SLACK_MS);
    // Never the reason the process stays up.
    timer.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    stopListening: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
