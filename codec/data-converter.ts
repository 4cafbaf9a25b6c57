/**
 * The data converter options every Client and Worker of clo uses: when `temporal.encryption`
 * has a key, the encryption codec and the failure converter that moves failure messages and
 * stack traces into a payload it seals; nothing otherwise (the SDK's defaults).
 * Worker (worker/create-worker.ts), client (client/connection.ts) and the test harness all
 * take it from here, so they cannot disagree about what is sealed.
 */
import type { PayloadCodec } from '@temporalio/common';
import type { CloConfig } from '../temporal.config';
import { EncryptionCodec } from './encryption-codec';
import { SEALED_FAILURES_MARKER } from './sealed-failure-converter';

/**
 * The module exporting the sealed-failure `failureConverter`, for `failureConverterPath` and
 * for bundling workflow code. Resolved (not just named) so a worker running from dist/ gets
 * the compiled .js file and one running from the sources the .ts file.
 */
export const sealedFailureConverterPath = require.resolve('./sealed-failure-converter');

export { SEALED_FAILURES_MARKER };

/** The payload codecs for `config`: one EncryptionCodec when a key is configured, else none. */
export function payloadCodecsFor(config: Pick<CloConfig, 'temporal'>): PayloadCodec[] {
  const encryption = config.temporal.encryption;
  return encryption ? [new EncryptionCodec(encryption)] : [];
}

/**
 * `{ dataConverter }` to spread into Client or Worker options; empty when encryption is off,
 * so the SDK's defaults stay untouched. A Worker with a prebuilt workflow bundle uses
 * `failureConverterPath` for activity failures only: the bundle must have been built with it
 * (worker/workflow-bundle.ts checkWorkflowBundle).
 */
export function dataConverterOptions(config: Pick<CloConfig, 'temporal'>): {
  dataConverter?: { payloadCodecs: PayloadCodec[]; failureConverterPath: string };
} {
  const payloadCodecs = payloadCodecsFor(config);
  return payloadCodecs.length
    ? { dataConverter: { payloadCodecs, failureConverterPath: sealedFailureConverterPath } }
    : {};
}
