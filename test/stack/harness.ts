/** Helpers for tests that run a real worker against the stack's Temporal server. */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createWorker } from '../../worker/create-worker';
import { dataConverterOptions } from '../../codec/data-converter';
import { CloConfig } from '../../temporal.config';
import { stackInfo, workflowBundleFor, type TestTarget } from './stack-info';

// Worker state changes and expected activity failures are noise in test output.
let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by another helper in this module registry.
  }
}

/**
 * The stack's simulators (vcsim, test/simulator, the fault proxy) speak plain HTTP, which the
 * config refuses unless a vCenter says `allowPlainHttp`: say it for every one whose URL is http://.
 */
export function allowPlainHttpForSimulators(vcenters: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(vcenters).map(([name, vc]) => {
      const { url, transferUrl } = vc as { url?: unknown; transferUrl?: unknown };
      const plain = [url, transferUrl].some((u) => typeof u === 'string' && u.startsWith('http://'));
      return [name, plain ? { allowPlainHttp: true, ...(vc as object) } : vc];
    }),
  );
}

/**
 * The worker's read and write roots in tests: the temporary directory, where every test makes
 * its scratch directories (mkdtemp). A worker without roots reads and writes no files.
 */
export const TEST_ROOTS = { readRoots: [tmpdir()], writeRoots: [tmpdir()] };

/** A config pointing at the stack (or `target`): vCenters `vcsim` (HTTP) and any extra ones given; roots {@link TEST_ROOTS}. */
export function testConfig(
  extraVCenters: Record<string, unknown> = {},
  taskQueue = `test-${randomUUID()}`,
  stack: TestTarget = stackInfo(),
): CloConfig {
  return CloConfig.parse({
    temporal: { address: stack.temporalAddress, namespace: stack.namespace, taskQueue },
    vcenters: allowPlainHttpForSimulators({
      vcsim: { url: stack.vcsim.url, username: 'user', password: 'pass' },
      ...extraVCenters,
    }),
    timeouts: { keepAliveIntervalMs: '5s', heartbeatTimeoutMs: '10s' },
    worker: { ...TEST_ROOTS },
  });
}

/** Runs `fn` with a client while a real worker (on a fresh task queue) polls, then stops it. */
export async function withWorker<T>(
  config: CloConfig,
  fn: (ctx: { client: Client; taskQueue: string }) => Promise<T>,
): Promise<T> {
  const worker = await startTestWorker(config);
  try {
    return await fn({ client: worker.client, taskQueue: worker.taskQueue });
  } finally {
    await worker.stop();
  }
}

/** A worker polling in the background for a whole describe block; `stop()` in afterAll. */
export interface TestWorker {
  client: Client;
  taskQueue: string;
  config: CloConfig;
  stop: () => Promise<void>;
}

export async function startTestWorker(
  config: CloConfig,
  stack: TestTarget = stackInfo(),
): Promise<TestWorker> {
  quietRuntime();
  const nativeConnection = await NativeConnection.connect({ address: stack.temporalAddress });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  // The client seals payloads like the worker when the config has encryption keys.
  const client = new Client({ connection, namespace: stack.namespace, ...dataConverterOptions(config) });
  const worker = await createWorker({
    config,
    connection: nativeConnection,
    workflowBundle: workflowBundleFor(config, stack),
  });
  const running = worker.worker.run();
  return {
    client,
    taskQueue: config.temporal.taskQueue,
    config,
    stop: async () => {
      if (worker.worker.getState() === 'RUNNING') worker.worker.shutdown();
      await running;
      await worker.close();
      await connection.close();
      await nativeConnection.close();
    },
  };
}
