/**
 * Keeps a Content Library session alive for as long as the saga needs it: a loop of
 * `keep_alive` calls beside the work, reporting `client_progress` that never goes
 * backwards. A server that is slow to answer (vcsim answers nothing during a
 * transfer) only delays the next call; a session that is gone is recorded and the
 * work scope is cancelled so the saga can start a new session.
 */
import { ApplicationFailure, CancellationScope, condition, isCancellation, log } from '@temporalio/workflow';

export class SessionLease {
  private sent = 0;
  private wanted = 0;
  private stopped = false;
  private readonly scope = new CancellationScope();
  private loop?: Promise<void>;
  /** Set when keep_alive found the session gone. */
  lost?: ApplicationFailure;

  constructor(
    private readonly keepAlive: (clientProgress?: number) => Promise<void>,
    private readonly intervalMs: number,
    /** Cancelled when the session is found gone, to stop transfers into it. */
    private readonly work: CancellationScope,
  ) {}

  /** Raises the progress to report next (0–99; 100 is the server's to reach by completing). */
  setProgress(percent: number): void {
    this.wanted = Math.max(this.wanted, Math.min(99, Math.floor(percent)));
  }

  start(): void {
    this.loop = this.scope.run(async () => {
      while (!this.stopped) {
        if (await condition(() => this.stopped, this.intervalMs)) break;
        const progress = this.wanted > this.sent ? this.wanted : undefined;
        try {
          await this.keepAlive(progress);
          if (progress !== undefined) this.sent = progress;
        } catch (err) {
          if (isCancellation(err)) break;
          const failure = (err as { cause?: unknown }).cause;
          if (failure instanceof ApplicationFailure && failure.type === 'SessionGone') {
            this.lost = failure;
            this.work.cancel();
            break;
          }
          // Anything else (a slow or flaky server) is not a reason to give up the session.
          log.warn('keep_alive failed; will try again', { error: (err as Error).message });
        }
      }
    });
    // The loop ends by stop() or by finding the session gone; neither is an error here.
    this.loop.catch(() => undefined);
  }

  /** Stops the loop and waits for it, cancelling a keep_alive still in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.scope.cancel();
    await this.loop?.catch(() => undefined);
  }
}
