/**
 * What the transfer sagas (upload and download) share with each other and with their
 * callers: library and item references, absolute paths, the phases they report, and
 * the `progress` query. No I/O here.
 */
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';

/** A reference to a library or an item: by id, or by name. */
export const Ref = z.union([z.object({ id: z.string().min(1) }), z.object({ name: z.string().min(1) })]);
export type Ref = z.infer<typeof Ref>;

/** A path on the worker host; relative paths would depend on the worker's working directory. */
export const AbsolutePath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), { message: 'expected an absolute path on the worker host' });

/** The phases a saga passes through; also the `CloPhase` search attribute. */
export const Phase = z.enum([
  'planning',
  'creating-session',
  'transferring',
  'validating',
  'completing',
  'preparing',
  'verifying',
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
  sessionId: z.string().optional(),
  files: z.array(FileProgress),
  totalBytes: z.number(),
  bytesSent: z.number(),
});
export type TransferProgress = z.infer<typeof TransferProgress>;

/** Current phase and per-file bytes of a transfer saga. */
export const progressQuery = defineQuery<TransferProgress>('progress');
