import type { Command } from 'commander';
import { InvalidInputError } from '../errors';
import { STATES, WORKFLOW_TYPES, type WorkflowKind, type WorkflowState } from '../workflow-kinds';
import { table, when } from '../table';

interface ListOptions {
  library?: string;
  item?: string;
  vcenter?: string;
  state?: string;
  type?: string;
  limit: string;
  json?: boolean;
}

/** `clo list`: recent and running transfers, syncs and reaper runs, through Temporal visibility. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description('recent and running uploads, downloads, syncs and reaper runs, newest first')
    .option('--library <id>', 'only this library (its id)')
    .option('--item <id>', 'only this library item (its id)')
    .option('--vcenter <name>', 'only this vCenter connection')
    .option('--state <state>', `only this state: ${Object.keys(STATES).join('|')}`)
    .option('--type <type>', `only this kind: ${Object.keys(WORKFLOW_TYPES).join('|')}`)
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: ListOptions) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new InvalidInputError(`--limit: expected a positive whole number (got ${opts.limit})`);
      const strip = (v?: string) => (v?.startsWith('id:') ? v.slice(3) : v);
      const library = strip(opts.library);
      const item = strip(opts.item);
      const filters = {
        limit,
        ...(opts.type ? { type: opts.type as WorkflowKind } : {}),
        ...(opts.state ? { state: opts.state as WorkflowState } : {}),
        ...(library ? { libraryId: library } : {}),
        ...(item ? { itemId: item } : {}),
        ...(opts.vcenter ? { vcenter: opts.vcenter } : {}),
      };
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { listWorkflows } = await import('../executions');
      const config = loadConfig();
      const { client, close } = await connectClient(config);
      try {
        const rows = await listWorkflows(client, filters);
        if (opts.json) {
          console.log(JSON.stringify(rows));
          return;
        }
        console.log(
          rows.length === 0
            ? 'no workflows match'
            : table(
                ['WORKFLOW ID', 'TYPE', 'STATUS', 'PHASE', 'STARTED', 'CLOSED', 'ITEM'],
                rows.map((r) => [
                  r.workflowId,
                  r.type,
                  r.status,
                  r.phase,
                  when(r.startTime),
                  when(r.closeTime),
                  r.itemId,
                ]),
              ),
        );
      } finally {
        await close();
      }
    });
}
