import type { Command } from 'commander';
import { loadConfig } from '../../temporal.config';
import { SmokeResult } from '../../workflows/definitions/smoke';
import { connectClient } from '../connection';
import { addStackOptions, bringUp, startWorkerOn, untilSignal, type DevOptions } from './dev';

/**
 * `clo demo`: the README's main job. Brings up the embedded stack and a worker, runs a
 * workflow end to end against vcsim, prints where to look in the Web UI, and stops
 * (or keeps everything up with --keep).
 */
export function registerDemo(program: Command): void {
  addStackOptions(program.command('demo'))
    .description('bring up the embedded stack and a worker, run a workflow against vcsim, and show where to look')
    .option('--keep', 'keep the stack and worker running after the demo (Ctrl-C stops)')
    .action(async (opts: DevOptions & { keep?: boolean }) => {
      const stack = await bringUp(opts);
      const stopWorker = await startWorkerOn(stack);
      try {
        const config = loadConfig({ ...process.env, CLO_CONFIG_FILE: stack.configFile });
        const { client, close } = await connectClient(config);
        try {
          const workflowId = `clo-demo-smoke-${Date.now()}`;
          const result = SmokeResult.parse(
            await client.workflow.execute('smokeWorkflow', {
              taskQueue: config.temporal.taskQueue,
              workflowId,
              args: [{ vcenter: 'default' }],
            }),
          );
          console.log(
            [
              '',
              `smokeWorkflow ${workflowId} completed: vCenter "${result.vcenter}" answered with ${result.libraryCount} libraries.`,
              `See it in the Web UI: ${stack.temporal.uiUrl}/namespaces/${stack.temporal.namespace}/workflows/${workflowId}`,
            ].join('\n'),
          );
        } finally {
          await close();
        }
        if (opts.keep) {
          console.log('Stack and worker keep running; press Ctrl-C to stop.');
          await untilSignal();
        }
      } finally {
        await stopWorker();
        await stack.stop();
        console.log('demo finished; stack stopped.');
      }
    });
}
