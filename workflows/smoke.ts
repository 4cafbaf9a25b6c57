/**
 * A minimal workflow proving the whole chain works: client → Temporal → worker →
 * activity → vCenter. `clo worker` registers it until the sagas arrive.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { createActivities } from '../activities';
import { SmokeInput, type SmokeResult } from './definitions/smoke';

const { listLibrariesOn } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError', 'ResponseValidationError'] },
});

/** Lists the libraries of a configured vCenter through an activity. */
export async function smokeWorkflow(input: unknown): Promise<SmokeResult> {
  const parsed = SmokeInput.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: `invalid smokeWorkflow input: ${z.prettifyError(parsed.error)}`,
      nonRetryable: true,
    });
  }
  return await listLibrariesOn(parsed.data.vcenter);
}
