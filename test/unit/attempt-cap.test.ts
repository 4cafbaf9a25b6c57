/**
 * The sagas retry without an attempt cap so that a vCenter outage is waited out
 * (workflows/lib/retry.ts OUTAGE_RETRY). Only outages may be retried that long: any other
 * retryable failure becomes permanent after MAX_ATTEMPTS_OUTSIDE_OUTAGES attempts
 * (activities/failures.ts), or a mistake marked retryable would be retried for hours.
 */
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ResourceBusyError, TransportError } from '../../activities/content-library/errors';
import { MAX_ATTEMPTS_OUTSIDE_OUTAGES, withFailures } from '../../activities/failures';

const quiet: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function failureAt(attempt: number, error: Error): Promise<ApplicationFailure> {
  const { activity } = withFailures({ activity: async () => Promise.reject(error) });
  const env = new MockActivityEnvironment({ attempt }, { logger: quiet });
  const err = await env.run(activity).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure))
    throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

describe('the attempt cap outside outages', () => {
  const busy = () => new ResourceBusyError({ operation: 'createUpdateSession', status: 400 });
  const refused = () => new TransportError({ operation: 'keepAlive', message: 'connect ECONNREFUSED' });

  it('leaves a retryable failure retryable before the cap', async () => {
    const failure = await failureAt(MAX_ATTEMPTS_OUTSIDE_OUTAGES - 1, busy());
    expect(failure.type).toBe('ResourceBusyError');
    expect(failure.nonRetryable).toBe(false);
  });

  it('makes it permanent at the cap, saying why', async () => {
    const failure = await failureAt(MAX_ATTEMPTS_OUTSIDE_OUTAGES, busy());
    expect(failure.type).toBe('ResourceBusyError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`gave up after ${MAX_ATTEMPTS_OUTSIDE_OUTAGES} attempts`);
  });

  it('never caps an unreachable vCenter: its time is bounded by the outage budget instead', async () => {
    const failure = await failureAt(500, refused());
    expect(failure.type).toBe('TransportError');
    expect(failure.nonRetryable).toBe(false);
  });
});
