import { ApplicationFailure, patched } from '@temporalio/workflow';

/**
 * The patch that introduced the URL checks (credentials, plain http) in the workflows. A run
 * started before it may hold an `http://` source without `allowPlainHttp`: on replay the
 * check is skipped for it (patched() is false), so it goes on as it began instead of failing
 * with a determinism error; every new run is checked.
 */
export const URL_SOURCE_CHECKS_PATCH = 'url-source-checks';

/**
 * Fails the workflow at once, non-retryably, with `problem` (which names the field and the
 * fix, see workflows/definitions/url-secrets.ts). Called only when there is a problem, so
 * runs without one record no marker.
 */
export function refuseSourceProblem(problem: string | undefined, workflow: string): void {
  if (problem === undefined || !patched(URL_SOURCE_CHECKS_PATCH)) return;
  throw ApplicationFailure.create({
    type: 'InvalidInput',
    message: `invalid ${workflow} input: ${problem}`,
    nonRetryable: true,
  });
}
