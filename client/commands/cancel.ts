import type { Command } from 'commander';

/** `clo cancel <workflow-id>`: asks a running saga to cancel; it compensates (cancels its session) and ends. */
export function registerCancel(program: Command): void {
  program
    .command('cancel <workflowId>')
    .description('cancel a running workflow; a saga cancels its session and removes an item it created')
    .option('--wait', 'wait until it has compensated and closed')
    .option('--json', 'print machine-readable JSON')
    .action(async (workflowId: string, opts: { wait?: boolean; json?: boolean }) => {
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { cancelWorkflow } = await import('../executions');
      const config = loadConfig();
      const { client, close } = await connectClient(config);
      try {
        const result = await cancelWorkflow(client, workflowId, { wait: Boolean(opts.wait) });
        console.log(
          opts.json
            ? JSON.stringify(result)
            : opts.wait
              ? `${workflowId} ended: ${result.status}`
              : `cancellation requested for ${workflowId}`,
        );
      } finally {
        await close();
      }
    });
}
