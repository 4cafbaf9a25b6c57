/**
 * The worker's side of the transfer permits (workflows/transfer-permits.ts): a saga asks for
 * a permit through `requestTransferPermit`, which knows the vCenter's limit from this worker's
 * configuration (the workflow never sees it, nor anything else of the vCenter's settings), and
 * the semaphore checks on its holders through `findClosedPermitHolders`.
 */
import { activityInfo } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  requestTransferPermitSignal,
  transferPermitsWorkflowId,
  type PermitHolder,
  type PermitTicket,
  type TransferPermitsInput,
} from '../workflows/definitions/transfer-permits';
import { permanent } from './failures';
import type { VCenterClients } from './vcenter-clients';

export function transferPermitActivities(vcenters: VCenterClients, temporal?: Client) {
  return {
    /**
     * Queues the calling saga run for a transfer permit on `vcenter` (signal-with-start of the
     * vCenter's semaphore, so the first request starts it). Null, and nothing else done, when
     * the vCenter has no `maxConcurrentTransfers`. Idempotent: the semaphore keeps one entry per run.
     */
    async requestTransferPermit(vcenter: string): Promise<PermitTicket | null> {
      const limit = vcenters.settings(vcenter).maxConcurrentTransfers;
      if (limit === undefined) return null;
      if (!temporal) {
        throw permanent(
          'TransferPermitsUnavailable',
          `vcenters.${vcenter}.maxConcurrentTransfers is set but this worker has no Temporal client to ask for a permit`,
        );
      }
      const { workflowExecution, taskQueue } = activityInfo();
      if (!workflowExecution)
        throw permanent('TransferPermitsUnavailable', 'a permit is asked for by a saga');
      const workflowId = transferPermitsWorkflowId(taskQueue, vcenter);
      const input: TransferPermitsInput = { vcenter, limit };
      await temporal.workflow.signalWithStart('transferPermits', {
        workflowId,
        taskQueue,
        args: [input],
        signal: requestTransferPermitSignal,
        signalArgs: [{ workflowId: workflowExecution.workflowId, runId: workflowExecution.runId, limit }],
      });
      return { workflowId, limit };
    },

    /** The holders whose run has closed (completed, failed, terminated, timed out) or is unknown. */
    async findClosedPermitHolders(holders: PermitHolder[]): Promise<PermitHolder[]> {
      if (!temporal) return [];
      const closed: PermitHolder[] = [];
      await Promise.all(
        holders.map(async (holder) => {
          try {
            const described = await temporal.workflow.getHandle(holder.workflowId, holder.runId).describe();
            if (described.status.name !== 'RUNNING') closed.push(holder);
          } catch (err) {
            // Deleted by retention, or never existed: nobody will release it.
            if ((err as Error).name === 'WorkflowNotFoundError') closed.push(holder);
            else throw err;
          }
        }),
      );
      return closed;
    },
  };
}
