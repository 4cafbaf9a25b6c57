/**
 * The upload saga's approval step for signed OVF/OVA packages (vSphere 8+ `/api`): after the
 * files are in the update session and before validate/complete, read the session's
 * `preview_info`; when vCenter warns about the signing certificate (self-signed, expired, not
 * yet valid, untrusted), follow the input's policy: fail, accept listed types, or hold the
 * session (the lease keeps it alive) in phase `awaiting-approval` until a person decides with
 * the `approve` / `reject` Updates or the approval timeout runs out. Accepted warnings are then
 * marked ignored in `warning_behavior`, without which `complete` fails.
 *
 * Runs that began before this step existed never read `preview_info`: the step is gated by
 * patched(), so their histories replay as they were recorded.
 */
import { ApplicationFailure, condition, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { SourcePlan } from '../../activities/sources';
import {
  APPROVAL_FAILURES,
  ApproveArgs,
  approveUpdate,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  RejectArgs,
  rejectUpdate,
  type ApprovalDecision,
  type ApprovalState,
  type CertificateSummary,
  type CertificateWarning,
  type WarningsPolicy,
} from '../definitions/approval';
import type { UploadProgress } from '../definitions/upload';
import type { SagaStatus } from './saga-status';

/** patched() id of the whole step: older runs never looked at `preview_info`. */
export const SIGNED_OVA_APPROVAL_PATCH = 'signed-ova-approval';

/** Reads of `preview_info` (each waits up to ~10 s in the activity) before the saga goes on without it. */
const PREVIEW_READS = 30;

export interface ApprovalOptions {
  warnings?: WarningsPolicy | undefined;
  approvalTimeoutMs?: number | undefined;
}

export class CertificateApproval {
  private state?: ApprovalState;
  /** Set while the saga waits for a decision: the types still to accept. */
  private waitingOn?: string[];
  private rejection?: ApprovalDecision;

  constructor(
    private readonly progress: UploadProgress,
    private readonly status: SagaStatus,
    private readonly options: ApprovalOptions,
  ) {
    // Registered in every run (no command is recorded): an Update reaching a saga that does not
    // wait is refused by the validator, changing nothing.
    setHandler(approveUpdate, (args) => this.approve(ApproveArgs.parse(args)), {
      validator: (args) => void this.checkApprove(args),
    });
    setHandler(rejectUpdate, (args) => this.reject(RejectArgs.parse(args)), {
      validator: (args) => void this.checkReject(args),
    });
  }

  /** The certificate, warnings and decisions, for the result; undefined when nothing was signed. */
  get result(): ApprovalState | undefined {
    return this.state;
  }

  /**
   * The step: read `preview_info` of `sessionId`; when it warns, decide by policy or wait for a
   * person, then mark the accepted warnings ignored. Throws (and the saga compensates) when the
   * policy refuses, a person rejects, or the approval timeout runs out.
   */
  async review(control: Activities, vcenter: string, sessionId: string, plan: SourcePlan): Promise<void> {
    if (!carriesDescriptor(plan) || !patched(SIGNED_OVA_APPROVAL_PATCH)) return;
    let preview: Awaited<ReturnType<Activities['getUpdateSessionPreview']>> | undefined;
    for (let read = 0; read < PREVIEW_READS; read++) {
      preview = await control.getUpdateSessionPreview(vcenter, sessionId);
      if (preview.state === 'AVAILABLE' || preview.state === 'NOT_APPLICABLE') break;
    }
    if (!preview || (preview.state !== 'AVAILABLE' && preview.state !== 'NOT_APPLICABLE')) {
      // vCenter's `complete` still refuses warnings nobody ignored: going on is safe.
      log.warn('preview_info did not become AVAILABLE; complete decides', {
        sessionId,
        state: preview?.state,
      });
      return;
    }
    if (!preview.certificate && preview.warnings.length === 0) return;
    const open = [...new Set(preview.warnings.filter((w) => !w.ignored).map((w) => w.type))];
    const earlier = this.state;
    this.state = {
      state: 'approved',
      ...(preview.certificate ? { certificate: preview.certificate } : {}),
      warnings: preview.warnings,
      accepted: earlier?.accepted ?? [],
      decisions: earlier?.decisions ?? [],
    };
    this.progress.approval = this.state;
    if (open.length === 0) return;

    // A new session after the first expired: the same certificate's warnings, once accepted, stay accepted.
    const sameCertificate =
      earlier?.certificate?.sha256Fingerprint === preview.certificate?.sha256Fingerprint;
    const stillOpen = sameCertificate ? open.filter((t) => !this.state!.accepted.includes(t)) : open;
    if (!sameCertificate) this.state.accepted = [];
    if (stillOpen.length > 0) await this.decide(stillOpen, preview.certificate, preview.warnings);
    await control.setUpdateSessionWarningBehavior(vcenter, sessionId, open);
  }

  private async decide(
    open: string[],
    certificate: CertificateSummary | undefined,
    warnings: CertificateWarning[],
  ): Promise<void> {
    const state = this.state!;
    const policy = this.options.warnings ?? 'fail';
    const described = describeWarnings(certificate, warnings);
    if (typeof policy === 'object') {
      const refused = open.filter((t) => !(policy.accept as string[]).includes(t));
      if (refused.length === 0) {
        this.record({
          decision: 'accepted-by-policy',
          approver: 'policy',
          reason: 'options.warnings.accept',
          accepted: open,
        });
        state.state = 'accepted-by-policy';
        return;
      }
      state.state = 'refused';
      throw refusal(
        `options.warnings accepts ${policy.accept.join(', ')}, not ${refused.join(', ')}`,
        described,
      );
    }
    if (policy === 'fail') {
      state.state = 'refused';
      throw refusal("options.warnings is 'fail' (the default)", described);
    }

    const timeoutMs = this.options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    state.state = 'awaiting-approval';
    state.deadline = new Date(Date.now() + timeoutMs).toISOString();
    this.waitingOn = open;
    this.status.phase('awaiting-approval');
    this.status.note(awaitingNote(workflowInfo().workflowId, certificate, warnings, open, state.deadline));
    let decided: boolean;
    try {
      decided = await condition(() => this.waitingOn === undefined, timeoutMs);
    } finally {
      this.waitingOn = undefined;
      delete state.deadline;
      this.status.note(undefined);
    }
    if (this.rejection) {
      state.state = 'rejected';
      const { approver, reason } = this.rejection;
      throw ApplicationFailure.create({
        type: APPROVAL_FAILURES.rejected,
        message: `the signing certificate was rejected by ${approver}: ${reason}`,
        nonRetryable: true,
        details: [{ approver, reason, warnings: open }],
      });
    }
    if (!decided) {
      state.state = 'timed-out';
      throw ApplicationFailure.create({
        type: APPROVAL_FAILURES.timedOut,
        message:
          `nobody approved the signing certificate within ${timeoutMs / 1000} s (options.approvalTimeoutMs); ` +
          `warnings: ${open.join(', ')}`,
        nonRetryable: true,
        details: [{ warnings: open }],
      });
    }
    state.state = 'approved';
  }

  private checkApprove(raw: unknown): ApproveArgs & { accept: string[] } {
    const waiting = this.checkWaiting('approve');
    const parsed = ApproveArgs.safeParse(raw);
    if (!parsed.success) throw invalid(`invalid approval: ${parsed.error.issues.map(issueText).join('; ')}`);
    const accept = parsed.data.accept ?? waiting;
    const accepted = this.state?.accepted ?? [];
    const unknown = accept.filter((t) => !waiting.includes(t) && !accepted.includes(t));
    if (unknown.length > 0)
      throw invalid(
        `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the warnings of this upload ` +
          `(${waiting.join(', ')}); accept only those`,
      );
    const again = accept.filter((t) => accepted.includes(t));
    if (again.length > 0)
      throw invalid(`${again.join(', ')} already accepted; still waiting on ${waiting.join(', ')}`);
    if (accept.length === 0) throw invalid(`nothing to accept; the upload waits on ${waiting.join(', ')}`);
    return { ...parsed.data, accept };
  }

  private approve(args: ReturnType<typeof ApproveArgs.parse>): { accepted: string[]; remaining: string[] } {
    const { accept } = this.checkApprove(args);
    this.record({ decision: 'approved', approver: args.approver, reason: args.reason, accepted: accept });
    const remaining = (this.waitingOn ?? []).filter((t) => !accept.includes(t));
    // Decided once every warning is accepted; until then the saga keeps waiting (one approver per type, say).
    this.waitingOn = remaining.length > 0 ? remaining : undefined;
    return { accepted: [...this.state!.accepted], remaining };
  }

  private checkReject(raw: unknown): void {
    this.checkWaiting('reject');
    const parsed = RejectArgs.safeParse(raw);
    if (!parsed.success) throw invalid(`invalid rejection: ${parsed.error.issues.map(issueText).join('; ')}`);
  }

  private reject(args: ReturnType<typeof RejectArgs.parse>): { rejected: true } {
    this.checkReject(args);
    this.rejection = this.record({
      decision: 'rejected',
      approver: args.approver,
      reason: args.reason,
      accepted: [],
    });
    this.waitingOn = undefined;
    return { rejected: true };
  }

  /** The types the saga waits on; refuses (NotAwaitingApproval) when it waits on none. */
  private checkWaiting(what: string): string[] {
    if (this.waitingOn === undefined)
      throw ApplicationFailure.create({
        type: APPROVAL_FAILURES.notAwaiting,
        message: `cannot ${what}: the upload is not awaiting approval (phase ${this.progress.phase})`,
        nonRetryable: true,
      });
    return this.waitingOn;
  }

  private record(decision: Omit<ApprovalDecision, 'at'>): ApprovalDecision {
    const entry: ApprovalDecision = { ...decision, at: new Date(Date.now()).toISOString() };
    const state = this.state!;
    state.decisions.push(entry);
    state.accepted = [...new Set([...state.accepted, ...decision.accepted])];
    return entry;
  }
}

/** Only a package with an OVF descriptor can be signed; other uploads skip the step (and its patch marker). */
function carriesDescriptor(plan: SourcePlan): boolean {
  return plan.itemType === 'ovf' || plan.files.some((f) => /\.ovf$/i.test(f.name));
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: APPROVAL_FAILURES.invalid, message, nonRetryable: true });
}

function issueText(issue: { path: PropertyKey[]; message: string }): string {
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

function refusal(why: string, described: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: APPROVAL_FAILURES.refused,
    message:
      `vCenter warns about the package's signing certificate and ${why}: ${described}. ` +
      `To let a person decide, upload with options.warnings 'await-approval'; to accept these types ` +
      `unattended, options.warnings { accept: [...] }`,
    nonRetryable: true,
  });
}

function describeWarnings(
  certificate: CertificateSummary | undefined,
  warnings: CertificateWarning[],
): string {
  const who = certificate ? `signed by ${certificate.subject}, issued by ${certificate.issuer}; ` : '';
  return (
    who +
    warnings
      .filter((w) => !w.ignored)
      .map((w) => `${w.type} (${w.message})`)
      .join(', ')
  );
}

/**
 * The current details while waiting: the certificate, the warnings and how to decide. The Web UI
 * renders them as Markdown, so each value is a list item in a code span (a subject's `*` or `_`
 * stays literal, `--accept` keeps its two dashes), after a blank line that ends the summary.
 */
function awaitingNote(
  workflowId: string,
  certificate: CertificateSummary | undefined,
  warnings: CertificateWarning[],
  open: string[],
  deadline: string,
): string {
  const lines = ['', `**Awaiting approval** of the signing certificate until ${code(deadline)}`, ''];
  if (certificate) {
    lines.push(
      `- subject: ${code(certificate.subject)}`,
      `- issuer: ${code(certificate.issuer)}${certificate.selfSigned ? ' (self-signed)' : ''}`,
    );
    if (certificate.validFrom || certificate.validTo)
      lines.push(`- valid: ${code(certificate.validFrom ?? '?')} to ${code(certificate.validTo ?? '?')}`);
    if (certificate.sha256Fingerprint) lines.push(`- SHA-256: ${code(certificate.sha256Fingerprint)}`);
  }
  for (const w of warnings.filter((x) => !x.ignored))
    lines.push(`- warning ${code(w.type)}: ${code(w.message)}`);
  lines.push(
    '',
    `approve: ${code(`clo approve ${workflowId} ${open.map((t) => `--accept ${t}`).join(' ')} --reason '...'`)}`,
    '',
    `reject: ${code(`clo reject ${workflowId} --reason '...'`)}`,
  );
  return lines.join('\n');
}

/** A Markdown code span around `text`, whatever backticks it holds. */
function code(text: string): string {
  const fence = '`'.repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return `${fence}${text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text}${fence}`;
}
