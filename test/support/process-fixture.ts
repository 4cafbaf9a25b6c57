/**
 * What the tests that run real `clo worker` processes set up: the simulator (vCenter
 * `target`), optionally a throttling proxy in front of its transfer endpoints, a config for
 * the workers, a REST client, a library, a scratch directory and a Temporal client. Call
 * `useProcessFixture()` in a describe block; its fields are set in beforeAll, and every
 * worker it started is killed in afterAll.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import type { CloConfig } from '../../temporal.config';
import { testConfig } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';
import { createTestLibrary, restClient } from './library';
import { startTarget, type Target } from './targets';
import { startThrottleProxy, type ThrottleProxy } from './throttle-proxy';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export interface ProcessFixture {
  target: Target;
  /** Present when a rate was given: transfers of vCenter `target` go through it. */
  proxy?: ThrottleProxy;
  rest: ContentLibraryClient;
  library: { id: string; name: string };
  dir: string;
  config: CloConfig;
  client: Client;
  /** Starts a `clo worker` process on the fixture's config (killed in afterAll). */
  worker(name: string, args?: string[], env?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  /** Kills every worker started so far. */
  killWorkers(): Promise<void>;
}

export function useProcessFixture(
  opts: {
    /** Bytes per second per transfer connection through a throttling proxy; no proxy when unset. */
    rate?: number;
    /** Changes the workers' config before any starts. */
    configure?: (config: CloConfig) => void;
  } = {},
): ProcessFixture {
  const f = {} as ProcessFixture;
  const workers: WorkerProcess[] = [];
  let connection: Connection | undefined;
  beforeAll(async () => {
    f.target = await startTarget('simulator');
    if (opts.rate !== undefined) f.proxy = await startThrottleProxy(f.target.url, opts.rate);
    f.config = testConfig({
      target: {
        url: f.target.url,
        username: 'user',
        password: 'pass',
        ...(f.proxy ? { transferUrl: f.proxy.url } : {}),
      },
    });
    opts.configure?.(f.config);
    f.rest = restClient(f.target.url);
    f.library = await createTestLibrary(f.rest, f.target.datastore);
    f.dir = await mkdtemp(join(tmpdir(), 'clo-process-'));
    connection = await Connection.connect({ address: stackInfo().temporalAddress });
    f.client = new Client({ connection, namespace: stackInfo().namespace });
    f.worker = async (name, args = [], env = {}) => {
      const w = await startWorkerProcess(f.config, f.dir, name, args, env);
      workers.push(w);
      return w;
    };
    f.killWorkers = async () => {
      await Promise.all(workers.splice(0).map(async (w) => w.kill()));
    };
  });
  afterAll(async () => {
    await Promise.all(workers.splice(0).map(async (w) => w.kill()));
    await connection?.close();
    await f.proxy?.close();
    await f.rest?.close();
    await f.target?.close();
    if (f.dir) await rm(f.dir, { recursive: true, force: true });
  });
  return f;
}
