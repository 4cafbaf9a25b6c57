/**
 * The data converter options every Client and Worker of clo uses: the encryption codec
 * when `temporal.encryption` has a key, nothing otherwise (the SDK's default converter).
 * Worker (worker/create-worker.ts), client (client/connection.ts) and the test harness all
 * take it from here, so they cannot disagree about what is sealed.
 */
import type { PayloadCodec } from '@temporalio/common';
import type { CloConfig } from '../temporal.config';
import { EncryptionCodec } from './encryption-codec';

/** The payload codecs for `config`: one EncryptionCodec when a key is configured, else none. */
export function payloadCodecsFor(config: Pick<CloConfig, 'temporal'>): PayloadCodec[] {
  const encryption = config.temporal.encryption;
  return encryption ? [new EncryptionCodec(encryption)] : [];
}

/**
 * `{ dataConverter }` to spread into Client or Worker options; empty when encryption is off,
 * so the SDK's defaults stay untouched.
 */
export function dataConverterOptions(config: Pick<CloConfig, 'temporal'>): {
  dataConverter?: { payloadCodecs: PayloadCodec[] };
} {
  const payloadCodecs = payloadCodecsFor(config);
  return payloadCodecs.length ? { dataConverter: { payloadCodecs } } : {};
}
