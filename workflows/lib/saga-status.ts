/**
 * What a transfer saga shows of itself: its phase (the `CloPhase` search attribute and the
 * `progress` query), its one-line summary in the Web UI's current details, and, over both,
 * "waiting for vCenter <name>" while a call to vCenter is being retried through an outage.
 *
 * Two things report an outage: the session lease (a signal when keep_alive starts or stops
 * failing) and {@link SagaStatus.watch}, which notices a control call that takes longer than
 * any healthy one would. The watch's timer costs no history event when the call returns in
 * time: a local activity that completes within its workflow task lets the timer be cancelled
 * before its command is ever sent.
 */
import {
  CancellationScope,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { PHASE } from '../definitions/search-attributes';
import { vcenterStatusSignal, type Phase, type TransferProgress } from '../definitions/transfer';

/** A control call still running after this long is retrying through an outage (healthy ones take milliseconds). */
const SLOW_CALL_MS = 15_000;

export class SagaStatus {
  private summary = '';
  private published?: Phase;
  /** Why the saga is waiting for vCenter, by reporter; empty when it is not. */
  private readonly waits = new Map<string, string>();
  private slowCalls = 0;

  constructor(
    private readonly progress: TransferProgress,
    private readonly vcenter: string,
  ) {
    setHandler(vcenterStatusSignal, (status) => {
      this.wait('lease', status.reachable ? undefined : `keep_alive fails: ${status.error ?? 'no answer'}`);
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

  /** Runs a local control call, showing "waiting for vCenter" while it takes longer than a healthy call could. */
  async watch<T>(call: Promise<T>): Promise<T> {
    const timer = new CancellationScope();
    let slow = false;
    timer
      .run(async () => sleep(SLOW_CALL_MS))
      .then(
        () => {
          slow = true;
          this.slowCalls++;
          this.wait('call', 'a call is being retried');
        },
        () => undefined,
      );
    try {
      return await call;
    } finally {
      timer.cancel();
      if (slow && --this.slowCalls === 0) this.wait('call', undefined);
    }
  }

  private wait(reporter: string, why: string | undefined): void {
    if (why === undefined) this.waits.delete(reporter);
    else this.waits.set(reporter, why);
    this.publish();
  }

  private publish(): void {
    const waiting = this.waits.size > 0 && this.progress.phase !== 'done' && this.progress.phase !== 'failed';
    if (waiting) this.progress.waitingFor = `vCenter ${this.vcenter}`;
    else delete this.progress.waitingFor;
    const shown: Phase = waiting ? 'waiting-for-vcenter' : this.progress.phase;
    if (shown !== this.published) {
      this.published = shown;
      upsertSearchAttributes([{ key: PHASE, value: shown }]);
    }
    const details = waiting
      ? `waiting for vCenter ${this.vcenter} (${[...this.waits.values()].join('; ')})\n${this.summary}`
      : this.summary;
    if (details) setCurrentDetails(details);
  }
}

/** `acts` with every call run through {@link SagaStatus.watch}: for local activities only (see the module comment). */
export function watched<A extends object>(acts: A, status: SagaStatus): A {
  return new Proxy(acts, {
    get(target, name) {
      const fn = Reflect.get(target, name) as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => status.watch(fn(...args));
    },
  });
}
