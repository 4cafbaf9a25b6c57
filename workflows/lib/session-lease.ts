/**
 * Keeps a Content Library session alive for as long as the saga needs it, by running the
 * `holdSession` activity (activities/session-lease.ts) beside the work: one activity per
 * session on the lease queue, not a loop of workflow timers, so a day-long transfer adds a
 * handful of history events instead of thousands, and a keep_alive never waits for a slot
 * behind transfers. When the lease finds the session gone (`SessionGone`) or vCenter away for
 * longer than the outage budget (`VCenterUnreachable`), it records why and cancels the
 * work scope, so the saga can start a new session or fail and compensate.
 *
 * The lease activity ends only when the saga cancels it (or when it fails). Were it to end by
 * itself too (say, on finding the session DONE), its completion could race the saga's cancel
 * into one workflow task, which the SDK's state machine rejects ("ActivityMachine in state
 * ScheduledActivityCancelCommandCreated ... ActivityTaskStarted") and the saga stalls.
 */
import { ApplicationFailure, CancellationScope, isCancellation } from '@temporalio/workflow';
import { failureType } from './failures';

export class SessionLease {
  private readonly scope = new CancellationScope();
  private loop?: Promise<void>;
  /** Set when the lease ended the session's work: the session is gone, or vCenter is unreachable. */
  lost?: ApplicationFailure;

  constructor(
    /** Runs the lease activity until it is cancelled. */
    private readonly hold: () => Promise<void>,
    /** Cancelled when the lease fails, to stop transfers into the session. */
    private readonly work: CancellationScope,
  ) {}

  start(): void {
    this.loop = this.scope.run(async () => {
      try {
        await this.hold();
      } catch (err) {
        if (isCancellation(err)) return;
        const cause = (err as { cause?: unknown }).cause;
        this.lost =
          cause instanceof ApplicationFailure
            ? cause
            : ApplicationFailure.create({
                type: failureType(err) ?? 'LeaseFailed',
                message: `the session lease failed: ${(err as Error).message}`,
                nonRetryable: true,
              });
        this.work.cancel();
      }
    });
    // The loop ends by stop() or by the lease failing; neither is an error here.
    this.loop.catch(() => undefined);
  }

  /** Cancels the lease activity and waits for the loop to notice. */
  async stop(): Promise<void> {
    this.scope.cancel();
    await this.loop?.catch(() => undefined);
  }
}
