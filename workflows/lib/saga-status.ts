/**
 * What a transfer saga shows of itself: its phase (the `CloPhase` search attribute and the
 * `progress` query), its one-line summary in the Web UI's current details, and, over both,
 * "waiting for vCenter <name>" while a call to vCenter is being retried through an outage.
 *
 * The session lease reports an outage: a signal when keep_alive starts or stops failing. A
 * control call retried through an outage outside a session (resolving the library, say)
 * shows only in the pending local activity's attempts: racing each call against a timer
 * would show it too, but is not replay-safe (on replay the call's marker resolves it at
 * once, and a timer the first run did record is then missing from the commands).
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { PHASE } from '../definitions/search-attributes';
import { vcenterStatusSignal, type Phase, type TransferProgress } from '../definitions/transfer';

export class SagaStatus {
  private summary = '';
  private published?: Phase;
  /** Why the saga is waiting for vCenter (the lease's last report), while it is. */
  private waitingWhy?: string;
  /** Lines shown under the summary while they apply (an upload's pending approval). */
  private noteText?: string;

  constructor(
    private readonly progress: TransferProgress,
    private readonly vcenter: string,
  ) {
    setHandler(vcenterStatusSignal, (status) => {
      this.waitingWhy = status.reachable ? undefined : `keep_alive fails: ${status.error ?? 'no answer'}`;
      this.publish();
    });
  }

  /** Moves the saga to `phase`. */
  phase(phase: Phase): void {
    this.progress.phase = phase;
    this.publish();
  }

  /** Sets the one-line summary (`upload x → lib/item, 3 files, 2 GiB`). */
  describe(summary: string): void {
    this.summary = summary;
    this.publish();
  }

  /** Shows `text` under the summary in the current details, until called again without it. */
  note(text?: string): void {
    this.noteText = text;
    this.publish();
  }

  private publish(): void {
    const waiting =
      this.waitingWhy !== undefined && this.progress.phase !== 'done' && this.progress.phase !== 'failed';
    if (waiting) this.progress.waitingFor = `vCenter ${this.vcenter}`;
    else delete this.progress.waitingFor;
    const shown: Phase = waiting ? 'waiting-for-vcenter' : this.progress.phase;
    if (shown !== this.published) {
      this.published = shown;
      upsertSearchAttributes([{ key: PHASE, value: shown }]);
    }
    const summary = this.noteText ? `${this.summary}\n${this.noteText}` : this.summary;
    const details = waiting
      ? `waiting for vCenter ${this.vcenter} (${this.waitingWhy})\n${summary}`
      : summary;
    if (details) setCurrentDetails(details);
  }
}
