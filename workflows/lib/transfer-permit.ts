/**
 * A saga's transfer permit on its vCenter (../transfer-permits.ts): asked for before the saga
 * creates its session, so a saga that waits holds no session that could expire, and released
 * in the saga's finally path, after its compensations have ended the session. Without a
 * `maxConcurrentTransfers` it costs one local activity, which answers null.
 */
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { releaseTransferPermitSignal, transferPermitGrantedSignal } from '../definitions/transfer-permits';
import { rootMessage } from './failures';
import type { SagaStatus } from './saga-status';

/**
 * patched() id: sagas ask for a transfer permit before they create a session. Runs started
 * before never asked, and replay as they ran.
 */
export const TRANSFER_PERMITS_PATCH = 'vcenter-transfer-permits';

/**
 * How long a saga waits before it asks again: a request is idempotent, and asking again
 * re-queues the saga if the semaphore was terminated or reset meanwhile.
 */
const ASK_AGAIN_MS = 5 * 60_000;

export class TransferPermit {
  private granted = false;
  /** The semaphore that queued this run, once it did: what release() signals. */
  private semaphore?: string;

  constructor(
    private readonly vcenter: string,
    private readonly control: Activities,
    private readonly status: SagaStatus,
  ) {
    setHandler(transferPermitGrantedSignal, () => {
      this.granted = true;
    });
  }

  /**
   * Waits until the saga holds a permit (at once when the vCenter has no limit), in phase
   * `waiting-for-permit` while it waits. Cancellable: release() then takes it out of the queue.
   */
  async acquire(): Promise<void> {
    const ticket = await this.control.requestTransferPermit(this.vcenter);
    if (!ticket) return;
    this.semaphore = ticket.workflowId;
    if (this.granted) return;
    this.status.phase('waiting-for-permit');
    this.status.note(
      `waiting for a transfer permit: vCenter ${this.vcenter} allows ${ticket.limit} at once (maxConcurrentTransfers)`,
    );
    while (!(await condition(() => this.granted, ASK_AGAIN_MS))) {
      await this.control.requestTransferPermit(this.vcenter);
    }
    // The saga's next step (creating its session) sets its phase.
    this.status.note();
  }

  /** Frees the permit, or leaves the queue; safe to call when none was asked for, and more than once. */
  async release(): Promise<void> {
    const semaphore = this.semaphore;
    if (!semaphore) return;
    this.semaphore = undefined;
    const { workflowId, runId } = workflowInfo();
    // Also after a cancellation: a permit never released would be freed only by the holder check.
    await CancellationScope.nonCancellable(async () =>
      getExternalWorkflowHandle(semaphore)
        .signal(releaseTransferPermitSignal, { workflowId, runId })
        .catch((err: unknown) => {
          // The semaphore ended (terminated by hand): it holds nothing of ours any more.
          log.warn('could not release the transfer permit', { semaphore, error: rootMessage(err) });
        }),
    );
  }
}
