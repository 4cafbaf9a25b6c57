import type { Command } from 'commander';
import type { DevStack } from '../dev-stack';

/** Options shared by `clo dev` and `clo demo`. */
interface DevOptions {
  dataDir: string;
  port: string;
  uiPort: string;
  vcsimPort: string;
  worker?: boolean;
}

function addStackOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'where the SQLite history and generated config live', '.clo/dev')
    .option('--port <port>', 'Temporal frontend port', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port', '8233')
    .option('--vcsim-port <port>', 'vcsim port', '8989');
}

/**
 * The three ports, each a valid port nothing listens on yet; an InvalidInputError names the flag.
 * Checked before anything starts: on a busy --port the dev server exits, but its readiness
 * probe would find the server already there and report the stack up on someone else's Temporal;
 * a busy --ui-port or --vcsim-port ends in the tool's usage text or log, exit 1.
 */
async function freeStackPorts(opts: DevOptions): Promise<{ temporal: number; ui: number; vcsim: number }> {
  const { InvalidInputError } = await import('../errors');
  const { refuseBusyPort } = await import('../cluster/processes');
  const flags = [
    ['--port', opts.port, 'the Temporal frontend'],
    ['--ui-port', opts.uiPort, 'the Web UI'],
    ['--vcsim-port', opts.vcsimPort, 'vcsim'],
  ] as const;
  const ports = flags.map(([flag, value]) => {
    const port = Number(value);
    if (!/^\d+$/.test(value) || port < 1 || port > 65535)
      throw new InvalidInputError(`${flag}: expected a TCP port from 1 to 65535 (got "${value}")`);
    return port;
  });
  for (const [i, [flag, , what]] of flags.entries())
    await refuseBusyPort(ports[i]!, flag, what, 'another `clo dev`?');
  return { temporal: ports[0]!, ui: ports[1]!, vcsim: ports[2]! };
}

async function bringUp(opts: DevOptions): Promise<DevStack> {
  const ports = await freeStackPorts(opts);
  // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
  const { startDevStack } = await import('../dev-stack');
  const stack = await startDevStack({
    dataDir: opts.dataDir,
    temporalPort: ports.temporal,
    uiPort: ports.ui,
    vcsimPort: ports.vcsim,
  });
  console.log(
    [
      'clo dev stack is up:',
      `  Temporal       ${stack.temporal.address} (namespace ${stack.temporal.namespace})`,
      `  Web UI         ${stack.temporal.uiUrl ?? '(headless)'}`,
      `  vCenter (sim)  ${stack.vcsim.url}  user/pass: any`,
      `  datastore      ${stack.vcsim.datastore}  (for library storage backings)`,
      `  history        ${stack.dataDir}/temporal.sqlite`,
      `  worker roots   ${stack.roots.join(':')}  (files it may read and write)`,
      '',
      `Use it from another shell:  export CLO_CONFIG_FILE=${stack.configFile}`,
    ].join('\n'),
  );
  return stack;
}

/** Resolves on the first SIGINT or SIGTERM. */
async function untilSignal(): Promise<NodeJS.Signals> {
  return await new Promise((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
}

/** `clo dev`: the embedded default stack in the foreground; Ctrl-C stops it all. */
export function registerDev(program: Command): void {
  addStackOptions(program.command('dev'))
    .description(
      'run the embedded stack (Temporal dev server + Web UI + vcsim) in the foreground; Ctrl-C stops it',
    )
    .option('--worker', 'also run a worker in this process')
    .action(async (opts: DevOptions) => {
      const stack = await bringUp(opts);
      const stopWorker = opts.worker ? await startWorkerOn(stack) : undefined;
      console.log('Press Ctrl-C to stop.');
      const signal = await untilSignal();
      console.log(`\n${signal}: stopping...`);
      await stopWorker?.();
      await stack.stop();
      console.log('stopped.');
    });
}

/** Starts an in-process worker against the stack; returns how to stop it gracefully. */
export async function startWorkerOn(stack: DevStack): Promise<() => Promise<void>> {
  const { loadConfig } = await import('../../temporal.config');
  const { createLogger } = await import('../../activities/logger');
  const { createWorker } = await import('../../worker/create-worker');
  const { installRuntime } = await import('../../worker/runtime');
  process.env.CLO_CONFIG_FILE = stack.configFile;
  const config = loadConfig();
  // The in-process worker logs warnings and errors only, so the stack's addresses stay readable.
  const logger = createLogger('worker');
  logger.level = process.env.CLO_LOG_LEVEL ?? 'warn';
  installRuntime({ logger });
  const { worker, close } = await createWorker({ config, logger });
  const running = worker.run();
  console.log(`  worker         polling task queue ${config.temporal.taskQueue}`);
  return async () => {
    // The SDK's runtime may already have begun shutting down on the same SIGINT.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await close();
  };
}

export { addStackOptions, bringUp, untilSignal };
export type { DevOptions };
