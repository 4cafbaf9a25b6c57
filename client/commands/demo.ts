import type { Command } from 'commander';
import { addStackOptions, bringUp, startWorkerOn, untilSignal, type DevOptions } from './dev';

interface DemoFlags extends DevOptions {
  keep?: boolean;
  address?: string;
  namespace?: string;
  config?: string;
}

/**
 * `clo demo`: the README's main job. By default on the embedded stack: brings up Temporal
 * (with its Web UI), vcsim and a worker, runs the demo's steps (client/demo/steps.ts: a real
 * multi-file OVA uploaded, downloaded back and verified, a catalog synced, an hourly sync
 * schedule), says what to look at in the Web UI, then stops everything or keeps it with
 * --keep. With --address it runs the same steps on a running cluster and its workers
 * (client/demo/on-cluster.ts) and starts nothing.
 */
export function registerDemo(program: Command): void {
  addStackOptions(program.command('demo'))
    .description(
      'run the end-to-end demo on the embedded stack (or with --address, on a running cluster and its workers): upload an OVA, download and verify it, sync a catalog, schedule it',
    )
    .option('--keep', 'keep the stack and worker running afterwards (Ctrl-C stops)')
    .option(
      '--address <host:port>',
      'run on this Temporal frontend (`clo cluster up`) with the workers polling it, instead of the embedded stack',
    )
    .option('--namespace <name>', 'with --address: the namespace (default: the config file’s)')
    .option(
      '--config <file>',
      'with --address: the clo config of the workers (default: $CLO_CONFIG_FILE, else .clo/cluster/clo.json)',
    )
    .action(async (opts: DemoFlags) => {
      if (opts.address === undefined) {
        if (opts.namespace !== undefined || opts.config !== undefined) {
          const { InvalidInputError } = await import('../errors');
          throw new InvalidInputError(
            '--namespace and --config go with --address (the demo on a running cluster)',
          );
        }
        await demoOnEmbeddedStack(opts);
        return;
      }
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { runDemoOnCluster } = await import('../demo/on-cluster');
      await runDemoOnCluster({
        address: opts.address,
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.config !== undefined ? { config: opts.config } : {}),
      });
    });
}

async function demoOnEmbeddedStack(opts: DemoFlags): Promise<void> {
  // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
  const { loadConfig } = await import('../../temporal.config');
  const { connectClient } = await import('../connection');
  const { runDemoSteps } = await import('../demo/steps');
  const stack = await bringUp(opts);
  const stopWorker = await startWorkerOn(stack);
  const ui = `${stack.temporal.uiUrl}/namespaces/${stack.temporal.namespace}`;
  try {
    const config = loadConfig({ ...process.env, CLO_CONFIG_FILE: stack.configFile });
    const { client, close } = await connectClient(config);
    try {
      const outcome = await runDemoSteps({
        client,
        config,
        vcenter: { url: stack.vcsim.url, username: 'user', password: 'pass' },
        datastore: stack.vcsim.datastore,
        workDir: stack.dataDir,
      });
      console.log(
        [
          '',
          'Look at it in the Temporal Web UI:',
          `  the upload:     ${ui}/workflows/${encodeURIComponent(outcome.uploadWorkflowId)}`,
          `                  (summary, search attributes, Queries → progress; the event history shows each step)`,
          `  by item:        ${ui}/workflows?query=${encodeURIComponent(`CloItemId="${outcome.itemId}"`)}`,
          `  the download:   ${ui}/workflows/${encodeURIComponent(outcome.downloadWorkflowId)}`,
          `  the schedule:   ${ui}/schedules/${encodeURIComponent(outcome.scheduleName)}`,
        ].join('\n'),
      );
    } finally {
      await close();
    }
    if (opts.keep) {
      console.log('\nStack and worker keep running; press Ctrl-C to stop.');
      await untilSignal();
    }
  } finally {
    await stopWorker();
    await stack.stop();
    console.log('\ndemo finished; stack stopped.');
  }
}
