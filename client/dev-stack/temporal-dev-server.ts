/**
 * Starts the real Temporal CLI dev server (SQLite, embedded Web UI) as a child
 * process, with the project's search attributes registered, and waits until its
 * frontend answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES, CLI_TYPE_NAMES } from '../../workflows/definitions/search-attributes';
import { captureTail, stopChild } from './child';
import { freePort } from './free-port';

/** Options for {@link startTemporalDevServer}. */
export interface StartTemporalOptions {
  /** Path of the `temporal` binary from ensureTools(). */
  bin: string;
  /** @default 127.0.0.1 */
  ip?: string;
  /** gRPC frontend port. @default a free port */
  port?: number;
  /** Web UI port; `false` runs headless. @default a free port */
  uiPort?: number | false;
  /** SQLite file; history survives a restart when set. @default in-memory */
  dbFile?: string;
  /** Codec server the Web UI decodes payloads with (`clo codec-server`, docs/security.md). @default none */
  uiCodecEndpoint?: string;
  /** @default 'default' */
  namespace?: string;
  /** @default 60000 */
  startTimeoutMs?: number;
  /** Dynamic config values over {@link DEV_SERVER_DYNAMIC_CONFIG} (the benches compare settings with it). */
  dynamicConfig?: Readonly<Record<string, number | boolean | string>>;
}

/**
 * Dynamic config the dev server runs with. Its single history shard hands every new
 * workflow and activity task to matching through one transfer-queue reader (timers
 * through one timer-queue reader), and each reader polls at most 20 times a second by
 * default. A saga's steps follow each other within milliseconds, so each waited for the
 * reader's next turn: ~40 ms between "scheduled" and "started" for most workflow and
 * activity tasks in the history, ~200 ms of a tiny upload's ~370 ms end to end (2–4 ms
 * each, ~180 ms end to end, with these). A production cluster spreads workflows over many
 * shards and is tuned by its operators; this is only for the stack `clo dev`, the tests and
 * the benchmarks start.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean | string>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  // A task queue is split into 4 partitions by default, to spread a busy queue over matching
  // hosts; this server has one, and a task that lands on a partition no poller is waiting on is
  // forwarded to the root first. With one partition a poller gets it at once. And an activity a
  // workflow task schedules on the worker's own queue is handed back with that task's completion
  // (eager activity execution) instead of a round trip through matching. Both measured together
  // with npm run bench:many (docs/benchmarks.md, Many small items): 100 tiny uploads at once,
  // 1 worker, 1.6 -> 2.9 uploads/s, 2 workers 1.7 -> 2.2 (load ~20; same CPU per upload).
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'system.enableActivityEagerExecution': true,
  // Worker Deployment Versioning (docs/deploy.md) needs no switch on this server (1.29), but a
  // version that stopped being current is re-checked for open pinned workflows every 3 min, and
  // reported DRAINED only 3 min after it was last current (a margin for visibility's lag). The
  // dev server's SQLite visibility has no lag worth 3 min: `clo deployment describe` shows a
  // version drained within seconds here (values in seconds).
  'matching.wv.VersionDrainageStatusRefreshInterval': 2,
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': 5,
};

export interface RunningTemporal {
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: StartTemporalOptions): Promise<RunningTemporal> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(ip));
  const uiPort = opts.uiPort === false ? undefined : (opts.uiPort ?? (await freePort(ip)));
  const namespace = opts.namespace ?? 'default';
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--log-level',
    'error',
    ...(namespace !== 'default' ? ['--namespace', namespace] : []),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.uiCodecEndpoint && uiPort !== undefined ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    ...Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...opts.dynamicConfig }).flatMap(([key, value]) => [
      '--dynamic-config-value',
      // KEY=JSON_VALUE: a string value needs its quotes.
      `${key}=${JSON.stringify(value)}`,
    ]),
    ...ALL_SEARCH_ATTRIBUTES.flatMap((key) => [
      '--search-attribute',
      `${key.name}=${CLI_TYPE_NAMES[key.type]}`,
    ]),
  ];
  const child = spawn(opts.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = captureTail(child);
  const address = `${ip}:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  let exited = false;
  child.once('exit', () => (exited = true));

  try {
    for (;;) {
      if (exited) throw new Error(`temporal server start-dev exited before it was ready:\n${tail()}`);
      if (Date.now() > deadline)
        throw new Error(`temporal server start-dev did not answer on ${address}:\n${tail()}`);
      try {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace });
          break;
        } finally {
          await connection.close();
        }
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (err) {
    await stopChild(child, 2000);
    throw err;
  }
  return {
    address,
    namespace,
    ...(uiPort !== undefined ? { uiUrl: `http://${ip}:${uiPort}` } : {}),
    process: child,
    stop: async () => stopChild(child),
  };
}
