import type { Command } from 'commander';
import type { ReapResult } from '../../workflows/definitions/reap';
import { table } from '../table';

interface ReapOptions {
  vcenter: string;
  grace: string;
  lease: string;
  dryRun?: boolean;
  json?: boolean;
}

/** The reaper's result as text: a summary line, then one row per session. */
export async function formatReapResult(r: ReapResult): Promise<string> {
  // Loaded here, not at the top, so `clo --help` does not load zod (bench/startup.ts).
  const { formatMs } = await import('../../workflows/definitions/reap');
  const summary =
    `${r.dryRun ? 'dry run: ' : ''}${r.counts.found} session${r.counts.found === 1 ? '' : 's'} on ${r.vcenter}, ` +
    `${r.counts.orphaned} orphaned, ${r.counts.reaped} reaped${r.counts.failed ? `, ${r.counts.failed} FAILED` : ''} ` +
    `(grace ${formatMs(r.graceMs)}, lease ${formatMs(r.leaseMs)})`;
  if (r.sessions.length === 0) return summary;
  const rows = r.sessions.map((s) => [
    s.kind,
    s.id,
    s.itemId,
    s.state,
    s.idleMs === undefined ? undefined : formatMs(s.idleMs),
    s.owner?.workflowId ??
      (s.formerOwner ? `(was ${s.formerOwner.workflowId}, ${s.formerOwner.status})` : undefined),
    s.outcome,
    s.reason,
  ]);
  return `${summary}\n${table(['KIND', 'SESSION', 'ITEM', 'STATE', 'IDLE', 'OWNER', 'OUTCOME', 'REASON'], rows)}`;
}

/** `clo reap`: runs the orphan-session reaper once and prints what it found and did. */
export function registerReap(program: Command): void {
  program
    .command('reap')
    .description(
      'cancel update/download sessions no running workflow owns and nobody has touched for the grace period',
    )
    .option('--vcenter <name>', 'configured vCenter connection', 'default')
    .option('--grace <duration>', 'idle time after which an unowned ACTIVE session is reaped', '15m')
    .option(
      '--lease <duration>',
      "the server's session timeout (expiration_time minus this is the last activity)",
      '5m',
    )
    .option('--dry-run', 'report what would be reaped; change nothing')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: ReapOptions) => {
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { reapResult, startReap } = await import('../reap');
      const { parseDuration } = await import('../schedules');
      const input = {
        vcenter: opts.vcenter,
        graceMs: parseDuration(opts.grace, '--grace'),
        leaseMs: parseDuration(opts.lease, '--lease'),
        dryRun: Boolean(opts.dryRun),
      };
      const config = loadConfig();
      const { client, close } = await connectClient(config);
      try {
        const result = await reapResult(
          await startReap(client, input, { taskQueue: config.temporal.taskQueue }),
        );
        console.log(opts.json ? JSON.stringify(result) : await formatReapResult(result));
        if (result.counts.failed)
          throw new Error(
            `${result.counts.failed} orphaned session(s) could not be reaped; see the reasons above`,
          );
      } finally {
        await close();
      }
    });
}
