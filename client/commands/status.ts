import type { Command } from 'commander';
import type { WorkflowProgress } from '../executions';
import { bar, formatBytes, rate, seconds, table, when } from '../table';

/** A workflow's progress as text: status and phase, session, a bar per file, throughput and ETA. */
export function formatProgress(p: WorkflowProgress): string {
  const lines = [
    `workflow  ${p.workflowId} (${p.type})`,
    `status    ${p.status}${p.phase ? `, phase ${p.phase}` : ''}; started ${when(p.startTime)}${p.closeTime ? `, closed ${when(p.closeTime)}` : ''}`,
  ];
  const sessions =
    p.sessionId && !p.sessionIds.includes(p.sessionId) ? [...p.sessionIds, p.sessionId] : p.sessionIds;
  if (sessions.length)
    lines.push(
      `session   ${p.sessionId ?? sessions.at(-1)}${sessions.length > 1 ? ` (${sessions.length} used)` : ''}`,
    );
  if (p.itemId || p.libraryId)
    lines.push(`item      ${p.itemId ?? '-'} in library ${p.libraryId ?? '-'} on ${p.vcenter ?? '-'}`);
  if (p.approval) {
    const { certificate: c, state, deadline } = p.approval;
    lines.push(
      `approval  ${state}${deadline ? ` until ${when(deadline)}` : ''}: accepted ${p.approval.accepted.join(', ') || 'none'}`,
    );
    if (c)
      lines.push(
        `signer    ${c.subject}, issued by ${c.issuer}, valid ${c.validFrom ?? '?'} to ${c.validTo ?? '?'}`,
      );
    for (const w of p.approval.warnings)
      lines.push(`warning   ${w.type}${w.ignored ? ' (ignored)' : ''}: ${w.message}`);
  }
  if (p.sync) {
    const c = p.sync.counts;
    lines.push(
      `sync      run ${p.sync.runs}: ${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged, ${c.removed} removed, ${c.failed} failed`,
    );
  }
  if (p.files?.length) {
    lines.push(
      table(
        ['  PROGRESS', 'FILE', 'BYTES', 'STATE'],
        p.files.map((f) => [
          `  ${bar(f.bytesDone, f.size)}`,
          f.name,
          `${formatBytes(f.bytesDone)} / ${formatBytes(f.size)}`,
          f.state,
        ]),
      ),
    );
  }
  if (p.totalBytes !== undefined && p.bytesDone !== undefined) {
    const speed =
      p.throughput !== undefined
        ? `, ${rate(p.throughput)}${p.throughputBasis === 'average' ? ' (average)' : ''}`
        : '';
    const eta = p.etaSeconds !== undefined ? `, ETA ${seconds(p.etaSeconds)}` : '';
    lines.push(
      `total     ${bar(p.bytesDone, p.totalBytes)} ${formatBytes(p.bytesDone)} / ${formatBytes(p.totalBytes)}${speed}${eta}`,
    );
  }
  return lines.join('\n');
}

/** `clo status <workflow-id>`: where a transfer (or any clo workflow) stands. */
export function registerStatus(program: Command): void {
  program
    .command('status <workflowId>')
    .description('phase, session, per-file progress, throughput and ETA of a workflow')
    .option('--watch', 'follow with live progress bars until the workflow ends')
    .option('--json', 'print the progress object once, as JSON')
    .action(async (workflowId: string, opts: { watch?: boolean; json?: boolean }) => {
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { getProgress } = await import('../executions');
      const { followProgress } = await import('../progress');
      const config = loadConfig();
      const { client, close } = await connectClient(config);
      try {
        if (opts.json) {
          console.log(JSON.stringify(await getProgress(client, workflowId)));
          return;
        }
        // A newer heartbeat (they come about once a second) measures the current throughput.
        const progress = await getProgress(client, workflowId, { sampleMs: 2500 });
        console.log(formatProgress(progress));
        if (opts.watch && progress.status === 'RUNNING') {
          await followProgress(client, client.workflow.getHandle(workflowId, progress.runId), {
            vcenters: config.vcenters,
          }).catch(() => undefined);
          console.log(formatProgress(await getProgress(client, workflowId)));
        }
      } finally {
        await close();
      }
    });
}
