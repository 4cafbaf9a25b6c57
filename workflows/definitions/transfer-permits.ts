/**
 * The per-vCenter transfer permits (workflows/transfer-permits.ts): the semaphore workflow's
 * id, input, signals and query, shared by the sagas, the activity that asks for a permit and
 * the tests. A permit is one update or download session at a time; `vcenters.<name>.maxConcurrentTransfers`
 * bounds how many the whole fleet holds on one vCenter (docs/design.md "Transfer permits").
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';

/**
 * The semaphore of one vCenter for the workers of one task queue. The task queue is part of the
 * id because a vCenter name means something only in the configuration the workers of one queue
 * share: two deployments (or two tests) that both call a vCenter `lab` do not share its permits.
 */
export function transferPermitsWorkflowId(taskQueue: string, vcenter: string): string {
  return `clo-transfer-permits/${taskQueue}/${vcenter}`;
}

/** One saga run that holds or waits for a permit. A new run of the same workflow id is another holder. */
export const PermitHolder = z.object({ workflowId: z.string().min(1), runId: z.string().min(1) });
export type PermitHolder = z.infer<typeof PermitHolder>;

/** A request for a permit; `limit` is the requesting worker's `maxConcurrentTransfers` (the latest one wins). */
export const PermitRequest = PermitHolder.extend({ limit: z.number().int().min(1) });
export type PermitRequest = z.infer<typeof PermitRequest>;

/** The semaphore's input, and its state carried across continue-as-new. */
export const TransferPermitsInput = z.object({
  vcenter: z.string().min(1),
  limit: z.number().int().min(1),
  /** Holders, in the order they were granted. */
  holders: z.array(PermitHolder).default([]),
  /** Waiting sagas, first come first served. */
  waiting: z.array(PermitHolder).default([]),
  /** Continue-as-new at this many history events (tests lower it to see state carried over). @default 2000 */
  maxHistoryEvents: z.number().int().min(20).optional(),
});
export type TransferPermitsInput = z.input<typeof TransferPermitsInput>;

/** What `requestTransferPermit` answers a saga when the vCenter has a limit (null when it has none). */
export interface PermitTicket {
  /** The semaphore to release the permit to. */
  workflowId: string;
  limit: number;
}

/** Saga → semaphore (through the activity's signal-with-start): queue me for a permit. Idempotent per run. */
export const requestTransferPermitSignal = defineSignal<[PermitRequest]>('requestTransferPermit');
/** Saga → semaphore: I am done (or no longer want one); frees a held permit or leaves the queue. */
export const releaseTransferPermitSignal = defineSignal<[PermitHolder]>('releaseTransferPermit');
/** Semaphore → saga: the permit is yours. */
export const transferPermitGrantedSignal = defineSignal('transferPermitGranted');

/** The semaphore's state as its query shows it. */
export interface TransferPermitsState {
  vcenter: string;
  limit: number;
  holders: PermitHolder[];
  waiting: PermitHolder[];
}
export const transferPermitsQuery = defineQuery<TransferPermitsState>('transferPermits');
