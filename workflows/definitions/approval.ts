/**
 * Signed OVF/OVA approval: what the upload saga shows while vCenter warns about the package's
 * signing certificate (the update session's `preview_info`, vSphere 8 `/api`), the policy an
 * unattended run follows, and the `approve` / `reject` Temporal Updates a person decides with.
 * Shared by the workflow and the client; no I/O here.
 */
import { defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';

/**
 * `updatesession.WarningType`: the warnings vCenter raises about a signed package. Any warning
 * not marked ignored in `warning_behavior` fails `complete`.
 */
export const CertificateWarningType = z.enum([
  'SELF_SIGNED_CERTIFICATE',
  'EXPIRED_CERTIFICATE',
  'NOT_YET_VALID_CERTIFICATE',
  'UNTRUSTED_CERTIFICATE',
]);
export type CertificateWarningType = z.infer<typeof CertificateWarningType>;

/**
 * A warning type as a server reports it or a person names it: the known ones and any a newer
 * server adds (a person may accept a type this build does not know, once vCenter reports it).
 */
export const WarningTypeName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,63}$/, { message: 'expected a warning type such as SELF_SIGNED_CERTIFICATE' });

/**
 * What the upload does when vCenter warns about the signing certificate of an OVF/OVA:
 * `fail` (compensate, naming the warnings), `await-approval` (hold the session and wait for
 * `clo approve` / `clo reject`), or `{ accept: [types] }` (go on when every warning is one of
 * these, else fail). @default 'fail': nothing accepts an untrusted certificate unasked.
 */
export const WarningsPolicy = z.union([
  z.enum(['fail', 'await-approval']),
  z.object({ accept: z.array(CertificateWarningType).min(1).max(8) }),
]);
export type WarningsPolicy = z.infer<typeof WarningsPolicy>;

/** How long an upload waits for a decision before it compensates. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** The signing certificate as `preview_info.certificate_info` gives it, with its validity read from `x509`. */
export const CertificateSummary = z.object({
  subject: z.string(),
  issuer: z.string(),
  selfSigned: z.boolean(),
  /** ISO 8601; absent when the server's `x509` could not be read. */
  validFrom: z.string().optional(),
  validTo: z.string().optional(),
  /** SHA-256 fingerprint (colon-separated hex), to compare with what the publisher announced. */
  sha256Fingerprint: z.string().optional(),
});
export type CertificateSummary = z.infer<typeof CertificateSummary>;

/** `updatesession.PreviewWarningInfo`, the message flattened to its default text. */
export const CertificateWarning = z.object({
  type: z.string(),
  message: z.string(),
  ignored: z.boolean(),
});
export type CertificateWarning = z.infer<typeof CertificateWarning>;

/** One decision: a person's Update, or the input's policy. */
export const ApprovalDecision = z.object({
  decision: z.enum(['approved', 'rejected', 'accepted-by-policy']),
  /** Who decided: the `approver` of the Update, or `policy`. */
  approver: z.string(),
  reason: z.string(),
  /** The warning types this decision accepted (none for a rejection). */
  accepted: z.array(z.string()),
  /** When the saga recorded it (workflow time, ISO 8601). */
  at: z.string(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** The approval step as the `progress` query and the result show it. */
export const ApprovalState = z.object({
  state: z.enum(['awaiting-approval', 'approved', 'accepted-by-policy', 'rejected', 'timed-out', 'refused']),
  certificate: CertificateSummary.optional(),
  warnings: z.array(CertificateWarning),
  /** Warning types accepted so far. */
  accepted: z.array(z.string()),
  /** While awaiting: when the saga gives up and compensates (ISO 8601). */
  deadline: z.string().optional(),
  decisions: z.array(ApprovalDecision),
});
export type ApprovalState = z.infer<typeof ApprovalState>;

/** Kept short: both are recorded in history with the Update. */
const Approver = z.string().trim().min(1, { message: "expected the approver's name" }).max(255);
const Reason = z.string().trim().min(1, { message: 'expected a reason' }).max(4096);

/** The `approve` Update's argument. */
export const ApproveArgs = z.object({
  /** Warning types to accept, each among the warnings the saga waits on. @default every one of them */
  accept: z.array(WarningTypeName).max(16).optional(),
  approver: Approver,
  reason: Reason,
});
export type ApproveArgs = z.input<typeof ApproveArgs>;

/** The `reject` Update's argument. */
export const RejectArgs = z.object({ approver: Approver, reason: Reason });
export type RejectArgs = z.input<typeof RejectArgs>;

/** What `approve` answers: what is accepted now, and what still waits for someone to accept it. */
export const ApproveResult = z.object({ accepted: z.array(z.string()), remaining: z.array(z.string()) });
export type ApproveResult = z.infer<typeof ApproveResult>;

/** What `reject` answers: the saga compensates after it (fails the session, deletes an item it created). */
export const RejectResult = z.object({ rejected: z.literal(true) });
export type RejectResult = z.infer<typeof RejectResult>;

/**
 * Accepts some or all of the warnings an upload in `awaiting-approval` waits on. The validator
 * refuses, changing nothing (no history event), a type that is not among them, one already
 * accepted, and any call while the saga is not awaiting approval.
 */
export const approveUpdate = defineUpdate<ApproveResult, [ApproveArgs]>('approve');

/** Refuses the certificate: the upload compensates. Refused, changing nothing, unless it awaits approval. */
export const rejectUpdate = defineUpdate<RejectResult, [RejectArgs]>('reject');

/** Failure types of the approval step (the CLI maps them to exit codes). */
export const APPROVAL_FAILURES = {
  /** The policy (`fail`, or `accept` without every warning) refused the certificate. */
  refused: 'CertificateWarnings',
  rejected: 'ApprovalRejected',
  timedOut: 'ApprovalTimedOut',
  /** An Update's validator refused: a type that is not among the warnings, or bad arguments. */
  invalid: 'ApprovalRefused',
  /** An Update reached a saga that is not awaiting approval. */
  notAwaiting: 'NotAwaitingApproval',
} as const;
