/**
 * The saga's compensation stack (samples-typescript `saga`): after each step succeeds
 * its undo is pushed; on failure they run newest first, each retried on its own by
 * its activity's retry policy, inside a non-cancellable scope so a cancelled workflow
 * still cleans up.
 */
import { CancellationScope, log } from '@temporalio/workflow';

export type Compensation = (cause: CompensationCause) => Promise<void>;

/** Why the saga is compensating: a cancellation calls `cancel`, anything else `fail`. */
export interface CompensationCause {
  cancelled: boolean;
  message: string;
}

export class Compensations {
  private readonly steps: { name: string; run: Compensation }[] = [];

  /** Registers the undo of a step that has just succeeded. */
  push(name: string, run: Compensation): void {
    this.steps.unshift({ name, run });
  }

  /** Forgets a step's undo (the step was superseded, e.g. a session that is gone). */
  remove(name: string): void {
    const i = this.steps.findIndex((s) => s.name === name);
    if (i >= 0) this.steps.splice(i, 1);
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs every undo, newest first; one that fails is logged and the rest still run. */
  async run(cause: CompensationCause): Promise<string[]> {
    const failed: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      for (const step of this.steps) {
        try {
          await step.run(cause);
        } catch (err) {
          failed.push(step.name);
          log.error('compensation failed', { step: step.name, error: (err as Error).message });
        }
      }
    });
    this.steps.length = 0;
    return failed;
  }
}
