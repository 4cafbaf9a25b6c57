import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { WarningsPolicy } from '../../workflows/definitions/approval';

/**
 * `clo upload --warnings`: `fail`, `await-approval`, or `accept:TYPE[,TYPE...]` (options.warnings).
 * Loads the schema only when the flag is given, so `clo --help` stays light.
 */
export async function warningsOption(value: string): Promise<WarningsPolicy> {
  const { CertificateWarningType, WarningsPolicy } = await import('../../workflows/definitions/approval');
  const { InvalidInputError } = await import('../errors');
  const accept = /^accept:(.+)$/i.exec(value)?.[1];
  const parsed = WarningsPolicy.safeParse(
    accept !== undefined ? { accept: accept.split(',').map((t) => t.trim().toUpperCase()) } : value,
  );
  if (!parsed.success)
    throw new InvalidInputError(
      `--warnings ${value}: expected fail, await-approval or accept:TYPE[,TYPE...] with types among ` +
        CertificateWarningType.options.join(', '),
    );
  return parsed.data;
}

/** Repeatable option: `--accept A --accept B` or `--accept A,B`. */
function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  ];
}

/** The OS user, as the approver a person need not type; `--approver` names someone else. */
async function osUser(): Promise<string> {
  const { userInfo } = await import('node:os');
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? '';
  }
}

interface DecisionOptions {
  approver?: string;
  reason: string;
  wait?: boolean;
  json?: boolean;
}

/**
 * `clo approve <workflow-id>` and `clo reject <workflow-id>`: decide on an upload that holds its
 * session in phase awaiting-approval because vCenter warns about a signed OVF/OVA's certificate.
 */
export function registerApproval(program: Command): void {
  program
    .command('approve <workflowId>')
    .description(
      'accept the certificate warnings an upload awaits approval on (clo status shows them); it then completes',
    )
    .option(
      '--accept <type>',
      'a warning type to accept, e.g. SELF_SIGNED_CERTIFICATE; repeat for more (default: all of them)',
      collect,
    )
    .option('--approver <name>', 'who decides (default: the OS user name)')
    .requiredOption('--reason <text>', 'why the certificate is acceptable; recorded in the workflow history')
    .option('--wait', 'wait until the upload has ended')
    .option('--json', 'print machine-readable JSON')
    .action(async (workflowId: string, opts: DecisionOptions & { accept?: string[] }) =>
      decide(workflowId, opts, async (client, approver) => {
        const { approveUpload } = await import('../approval');
        const result = await approveUpload(client, workflowId, {
          approver,
          reason: opts.reason,
          ...(opts.accept ? { accept: opts.accept } : {}),
        });
        return {
          result,
          line:
            result.remaining.length > 0
              ? `accepted ${result.accepted.join(', ')} on ${workflowId}; it still awaits approval of ${result.remaining.join(', ')}`
              : `approved ${result.accepted.join(', ')} on ${workflowId}; the upload goes on to complete`,
        };
      }),
    );

  program
    .command('reject <workflowId>')
    .description(
      'reject the certificate of an upload awaiting approval: it fails its session and removes an item it created',
    )
    .option('--approver <name>', 'who decides (default: the OS user name)')
    .requiredOption('--reason <text>', 'why the certificate is refused; recorded in the workflow history')
    .option('--wait', 'wait until the upload has compensated and ended')
    .option('--json', 'print machine-readable JSON')
    .action(async (workflowId: string, opts: DecisionOptions) =>
      decide(workflowId, opts, async (client, approver) => {
        const { rejectUpload } = await import('../approval');
        const result = await rejectUpload(client, workflowId, { approver, reason: opts.reason });
        return { result, line: `rejected the certificate of ${workflowId}; the upload compensates` };
      }),
    );
}

async function decide(
  workflowId: string,
  opts: DecisionOptions,
  send: (client: Client, approver: string) => Promise<{ result: object; line: string }>,
): Promise<void> {
  // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
  const { loadConfig } = await import('../../temporal.config');
  const { connectClient } = await import('../connection');
  const config = loadConfig();
  const approver = opts.approver ?? (await osUser());
  const { client, close } = await connectClient(config);
  try {
    const { result, line } = await send(client, approver);
    let ended: string | undefined;
    if (opts.wait) {
      // The saga's own outcome: a rejection ends in its failure, which is what was asked for.
      const handle = client.workflow.getHandle(workflowId);
      ended = await handle.result().then(
        () => 'COMPLETED',
        () => 'FAILED',
      );
    }
    console.log(
      opts.json
        ? JSON.stringify({ workflowId, approver, ...result, ...(ended ? { status: ended } : {}) })
        : `${line}${ended ? `\n${workflowId} ended: ${ended}` : ''}`,
    );
  } finally {
    await close();
  }
}

/** `clo upload`'s --warnings and --approval-timeout as upload options (none when not given). */
export async function approvalOptions(opts: {
  warnings?: string;
  approvalTimeout?: string;
}): Promise<{ warnings?: WarningsPolicy; approvalTimeoutMs?: number }> {
  const out: { warnings?: WarningsPolicy; approvalTimeoutMs?: number } = {};
  if (opts.warnings !== undefined) out.warnings = await warningsOption(opts.warnings);
  if (opts.approvalTimeout !== undefined) {
    const { Duration } = await import('../../temporal.config');
    const { InvalidInputError } = await import('../errors');
    // Without a wait for approval there is nothing for it to bound: a silent no-op would mislead.
    if (out.warnings !== 'await-approval')
      throw new InvalidInputError(
        `--approval-timeout ${opts.approvalTimeout}: only applies with --warnings await-approval (the upload then waits that long for clo approve/reject)`,
      );
    const parsed = Duration.safeParse(opts.approvalTimeout);
    if (!parsed.success)
      throw new InvalidInputError(
        `--approval-timeout ${opts.approvalTimeout}: expected a duration such as 30m or 24h`,
      );
    out.approvalTimeoutMs = parsed.data;
  }
  return out;
}
