/**
 * What an activity still running when a draining worker's grace time ends reports: a
 * retryable failure, so the server schedules its next attempt at once, on another worker.
 *
 * At the end of `shutdownGraceTime` the SDK aborts every running activity's
 * `cancellationSignal()` with a `CancelledFailure('WORKER_SHUTDOWN')`, which the transfers
 * rethrow (or which surfaces as whatever error the aborted request became). The SDK would
 * report a rethrown `CancelledFailure` as a cancellation and the core turns that into its own
 * retryable `WorkerShutdown` failure, but any other error the abort caused goes out as that
 * error, and some of ours are permanent (an aborted stream read as a source that changed, a
 * session call cut short). Nothing an activity does after the abort is its own verdict, so
 * every failure then becomes the same retryable hand-off, with a message an operator reading
 * the pending activity understands.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';

/** The failure type of a hand-off, as the Web UI shows it on the pending activity. */
export const WORKER_SHUTDOWN = 'WorkerShutdown';

/** True once the SDK aborted this activity because its worker is shutting down. */
export function abortedForShutdown(
  ctx: Pick<Context, 'cancellationSignal' | 'cancellationDetails'>,
): boolean {
  const signal = ctx.cancellationSignal;
  if (!signal.aborted) return false;
  if (ctx.cancellationDetails?.workerShutdown) return true;
  // The SDK's own shutdown path (an activity evicted while the worker stops) sets no details.
  const reason: unknown = signal.reason;
  return reason instanceof CancelledFailure && reason.message === 'WORKER_SHUTDOWN';
}

/** The activity interceptor every clo Worker registers (create-worker.ts). */
export function shutdownHandOff(ctx: Context): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (!abortedForShutdown(ctx)) throw err;
          throw ApplicationFailure.create({
            type: WORKER_SHUTDOWN,
            message: 'worker shutting down; the transfer resumes on another worker',
            nonRetryable: false,
            ...(err instanceof Error ? { cause: err } : {}),
          });
        }
      },
    },
  };
}
