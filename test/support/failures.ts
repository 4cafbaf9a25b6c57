import { WorkflowFailedError } from '@temporalio/client';

/** The ApplicationFailure behind a failed workflow: directly, or under the ActivityFailure that carried it. */
export function failureOf(err: unknown): { type?: string; message: string; name?: string } {
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause as
    { type?: string; message: string; cause?: unknown } | undefined;
  if (cause && cause.type === undefined && cause.cause) cause = cause.cause as typeof cause;
  return cause ?? { message: '' };
}
