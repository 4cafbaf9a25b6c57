/**
 * The failure converter of workers and clients with an encryption key: the SDK's default one
 * with `encodeCommonAttributes`, which moves every failure's message and stack trace into
 * `encodedAttributes`, a payload the codec seals. Failures name paths, item names and URLs
 * (PathNotAllowed, SourceError, PullFailed, the saga's own failure); without this they would
 * sit in history in clear. The server keeps only "Encoded failure" and the failure's type.
 *
 * Workers name this module in `dataConverter.failureConverterPath` (codec/data-converter.ts):
 * the main thread requires it for activity failures, and webpack bundles it into the workflow
 * code for the workflows' own failures, so it imports nothing but @temporalio/common.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/**
 * A string found in a workflow bundle exactly when it was built with this converter: a worker
 * with a key refuses a prebuilt bundle without it, and one without a key a bundle with it
 * (worker/workflow-bundle.ts checkWorkflowBundle).
 */
export const SEALED_FAILURES_MARKER = 'clo:failure-converter:encode-common-attributes';

/** The converter the SDK loads from this module (`failureConverter` is the name it looks for). */
export const failureConverter = Object.assign(new DefaultFailureConverter({ encodeCommonAttributes: true }), {
  // Used, so that the marker is in the bundle whatever webpack leaves out.
  marker: SEALED_FAILURES_MARKER,
});
