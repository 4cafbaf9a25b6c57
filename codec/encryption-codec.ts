/**
 * The payload codec that keeps workflow data out of the Temporal server in plain text:
 * every Payload (its metadata and data, serialized whole) is sealed with AES-256-GCM under
 * the active key, with a fresh random 12-byte IV. The sealed payload says only
 * `encoding: binary/encrypted` and which key sealed it (`encryption-key-id`), so keys can
 * rotate: every configured key decrypts, one encrypts.
 *
 * Payloads that are not sealed pass through decode untouched, so histories written before
 * encryption was switched on (and the replay corpus) still read.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** `metadata.encoding` of a sealed payload. */
export const ENCODING_ENCRYPTED = 'binary/encrypted';
/** `metadata` key naming the key that sealed a payload. */
export const METADATA_KEY_ID = 'encryption-key-id';

/** Where keys are configured, for error messages. */
export const KEY_SETTINGS = 'CLO_ENCRYPTION_KEY_FILE or CLO_ENCRYPTION_KEYS (temporal.encryption)';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

/** One AES-256 key and the id payloads sealed with it carry. */
export interface EncryptionKey {
  id: string;
  /** A secret KeyObject: it prints and serializes without its bytes, so it cannot leak into a log. */
  key: KeyObject;
}

/** Options for {@link EncryptionCodec}. */
export interface EncryptionCodecOptions {
  /** Every key that may have sealed a payload; at least the active one. */
  keys: readonly EncryptionKey[];
  /** The id of the key new payloads are sealed with. */
  activeKeyId: string;
}

/** A sealed payload that cannot be opened: unknown key, or not what was sealed (tampered, truncated). */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, KeyObject>;
  private readonly active: EncryptionKey;

  constructor(opts: EncryptionCodecOptions) {
    this.keys = new Map(opts.keys.map((k) => [k.id, k.key]));
    const active = this.keys.get(opts.activeKeyId);
    if (!active) throw new Error(`the active encryption key "${opts.activeKeyId}" is not among the keys`);
    this.active = { id: opts.activeKeyId, key: active };
  }

  /** The id new payloads are sealed with. */
  get activeKeyId(): string {
    return this.active.id;
  }

  // Synchronous work behind the SDK's async interface: a throw becomes a rejection.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.seal(payload))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.open(payload))));
  }

  private seal(payload: Payload): Payload {
    const plain = ProtoPayload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    // The key id is authenticated too: a payload relabelled with another id fails to open.
    cipher.setAAD(encoder.encode(this.active.id));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: encoder.encode(ENCODING_ENCRYPTED),
        [METADATA_KEY_ID]: encoder.encode(this.active.id),
      },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || decoder.decode(encoding) !== ENCODING_ENCRYPTED) return payload;
    const idBytes = payload.metadata?.[METADATA_KEY_ID];
    if (!idBytes) {
      throw new PayloadDecryptionError(
        `an encrypted payload has no ${METADATA_KEY_ID} metadata, so no key can open it`,
      );
    }
    const id = decoder.decode(idBytes);
    const key = this.keys.get(id);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key "${id}", which is not configured ` +
          `(configured: ${[...this.keys.keys()].join(', ')}); add it to ${KEY_SETTINGS}`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`a payload encrypted with key "${id}" is truncated`);
    }
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(idBytes);
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `a payload encrypted with key "${id}" failed authentication: it was altered, ` +
          `or key "${id}" in ${KEY_SETTINGS} is not the key it was sealed with`,
      );
    }
    const decoded = ProtoPayload.decode(plain);
    return {
      metadata: decoded.metadata,
      data: decoded.data,
      ...(decoded.externalPayloads.length ? { externalPayloads: decoded.externalPayloads } : {}),
    };
  }
}
