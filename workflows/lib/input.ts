import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';

/** Parses a workflow's input; invalid input fails the workflow at once, non-retryably, naming the fields. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, workflow: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: `invalid ${workflow} input:\n${z.prettifyError(parsed.error)}`,
      nonRetryable: true,
    });
  }
  return parsed.data;
}
