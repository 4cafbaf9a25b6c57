/**
 * What the transfer sagas (upload and download) share with each other and with their
 * callers: library and item references, absolute paths, the phases they report, and
 * the `progress` query. No I/O here.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';

/**
 * The longest name or id accepted: far above what vCenter shows (item names are a few dozen
 * characters), low enough that no input can grow a workflow's history by megabytes.
 */
export const MAX_NAME_LENGTH = 255;

/** A library or item id or name, as vCenter bounds them. */
export const RefString = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH, { message: `expected at most ${MAX_NAME_LENGTH} characters` });

/** A reference to a library or an item: by id, or by name. */
export const Ref = z.union([z.object({ id: RefString }), z.object({ name: RefString })]);
export type Ref = z.infer<typeof Ref>;

/** A path on the worker host; relative paths would depend on the worker's working directory. */
export const AbsolutePath = z
  .string()
  .min(1)
  // PATH_MAX: the kernel refuses longer paths (ENAMETOOLONG), which an activity would retry.
  .max(4096, { message: 'expected a path of at most 4096 characters (PATH_MAX)' })
  .refine((p) => p.startsWith('/'), { message: 'expected an absolute path on the worker host' })
  // No file name holds a NUL; Node refuses one with a TypeError an activity would retry.
  .refine((p) => !p.includes('\u0000'), { message: 'expected a path without NUL characters' });

/** The phases a saga passes through; also the `CloPhase` search attribute. */
export const Phase = z.enum([
  'planning',
  'creating-session',
  'transferring',
  'validating',
  'completing',
  /** An upload holds its session until a person approves a signed package's certificate (./approval). */
  'awaiting-approval',
  'preparing',
  'verifying',
  'waiting-for-vcenter',
  /** Waiting for a transfer permit: the vCenter's maxConcurrentTransfers are all held (../transfer-permits.ts). */
  'waiting-for-permit',
  'done',
  'compensating',
  'failed',
]);
export type Phase = z.infer<typeof Phase>;

/** One file of a transfer. */
export const FileProgress = z.object({
  name: z.string(),
  size: z.number(),
  /** Bytes moved so far: sent for an upload, on the worker's disk for a download. */
  bytesSent: z.number(),
  state: z.enum(['pending', 'transferring', 'done', 'skipped', 'failed']),
});
export type FileProgress = z.infer<typeof FileProgress>;

/** What the `progress` query returns, for uploads and downloads alike. */
export const TransferProgress = z.object({
  phase: Phase,
  /** Set while the saga waits for an unreachable vCenter (`vCenter <name>`); the phase is kept. */
  waitingFor: z.string().optional(),
  sessionId: z.string().optional(),
  files: z.array(FileProgress),
  totalBytes: z.number(),
  bytesSent: z.number(),
});
export type TransferProgress = z.infer<typeof TransferProgress>;

/** Current phase and per-file bytes of a transfer saga. */
export const progressQuery = defineQuery<TransferProgress>('progress');

/** How long a saga waits out an unreachable vCenter before it fails (and compensates). */
export const DEFAULT_OUTAGE_BUDGET_MS = 2 * 60 * 60 * 1000;

/**
 * The outage budget, as a workflow option: how long a saga keeps retrying a vCenter that
 * refuses connections, resets them or answers 5xx (a reboot or an upgrade takes 15–30
 * minutes) before it gives up. Compensations wait as long again.
 */
export const OutageBudgetMs = z
  .number()
  .int()
  // Room for a few probes at the shortest retry interval (1 s) and for one slow control
  // call, which must also finish within the budget.
  .min(10_000)
  .max(7 * 24 * 60 * 60 * 1000)
  .optional()
  .describe('@default CLO_OUTAGE_BUDGET, else 2 hours');

/**
 * The outage retry interval, as a workflow option: the longest wait between two tries of a
 * call that failed because vCenter is away (backoff from 1 s doubles up to it). Shorter
 * notices a rebooted vCenter sooner at the cost of more calls; the outage budget, not this,
 * bounds how long the saga waits. The session lease probes every 10 s, or this if shorter.
 */
export const OutageRetryIntervalMs = z
  .number()
  .int()
  .min(1000)
  .max(60 * 60 * 1000)
  .optional()
  .describe('@default CLO_OUTAGE_RETRY_INTERVAL, else 30 seconds');

/** What the lease reports when vCenter stops or starts answering (see the lease activity). */
export const VCenterStatus = z.object({
  reachable: z.boolean(),
  /** When the first failed call of this outage was made (epoch ms), while unreachable. */
  since: z.number().optional(),
  error: z.string().optional(),
});
export type VCenterStatus = z.infer<typeof VCenterStatus>;

/** Sent by a session's lease when vCenter stops (or starts again) answering its keep_alive. */
export const vcenterStatusSignal = defineSignal<[VCenterStatus]>('vcenterStatus');
