/** The payload codec: AES-256-GCM sealing, pass-through of plain payloads, key ids and rotation. */
import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, METADATA_KEY_ID } from '../../../codec/encryption-codec';
import { loadConfig } from '../../../temporal.config';

const key = (id: string) => ({ id, key: createSecretKey(randomBytes(32)) });
const k1 = key('k1');
const k2 = key('k2');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const input = { item: { name: 'secret-item-7f3a' }, source: { kind: 'file', path: '/data/secret-7f3a.iso' } };

describe('EncryptionCodec', () => {
  it('seals the whole payload and opens it again', async () => {
    const codec = new EncryptionCodec({ keys: [k1], activeKeyId: 'k1' });
    const plain = defaultPayloadConverter.toPayload(input);
    const [sealed] = await codec.encode([plain]);
    expect(text(sealed!.metadata!.encoding)).toBe('binary/encrypted');
    expect(text(sealed!.metadata![METADATA_KEY_ID])).toBe('k1');
    expect(Object.keys(sealed!.metadata!).sort()).toEqual(['encoding', METADATA_KEY_ID].sort());
    // Neither the data nor the original encoding (json/plain) is visible.
    expect(text(sealed!.data)).not.toContain('secret');
    expect(text(sealed!.data)).not.toContain('json/plain');
    const [opened] = await codec.decode([sealed!]);
    expect(text(opened!.metadata!.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(input);
  });

  it('uses a fresh IV for every payload', async () => {
    const codec = new EncryptionCodec({ keys: [k1], activeKeyId: 'k1' });
    const plain = defaultPayloadConverter.toPayload(input);
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes payloads that are not encrypted through decode untouched', async () => {
    const codec = new EncryptionCodec({ keys: [k1], activeKeyId: 'k1' });
    const plain = defaultPayloadConverter.toPayload(input);
    const binary: Payload = { metadata: { encoding: Buffer.from('binary/null') } };
    expect(await codec.decode([plain, binary])).toEqual([plain, binary]);
  });

  it('fails for an unknown key id, naming the id and where keys are configured', async () => {
    const [sealed] = await new EncryptionCodec({ keys: [k1], activeKeyId: 'k1' }).encode([
      defaultPayloadConverter.toPayload(input),
    ]);
    const other = new EncryptionCodec({ keys: [k2], activeKeyId: 'k2' });
    await expect(other.decode([sealed!])).rejects.toThrow(
      /encrypted with key "k1", which is not configured \(configured: k2\); add it to CLO_ENCRYPTION_KEY_FILE or CLO_ENCRYPTION_KEYS/,
    );
  });

  it('refuses a tampered ciphertext, and a payload relabelled with another key id', async () => {
    const codec = new EncryptionCodec({ keys: [k1, k2], activeKeyId: 'k1' });
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow(/key "k1" failed authentication/);
    const relabelled = {
      ...sealed!,
      metadata: { ...sealed!.metadata, [METADATA_KEY_ID]: Buffer.from('k2') },
    };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key "k2" failed authentication/);
  });

  it('rotates: seals with the active key, opens with every configured key', async () => {
    const before = new EncryptionCodec({ keys: [k1], activeKeyId: 'k1' });
    const [old] = await before.encode([defaultPayloadConverter.toPayload(input)]);
    const after = new EncryptionCodec({ keys: [k2, k1], activeKeyId: 'k2' });
    const [fresh] = await after.encode([defaultPayloadConverter.toPayload(input)]);
    expect(text(fresh!.metadata![METADATA_KEY_ID])).toBe('k2');
    const opened = await after.decode([old!, fresh!]);
    expect(opened.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([input, input]);
  });
});

describe('temporal.encryption in the configuration', () => {
  const b64 = (n: number, fill = 1) => Buffer.alloc(n, fill).toString('base64');

  it('is off without keys, and takes the first key as the active one', () => {
    expect(loadConfig({}).temporal.encryption).toBeUndefined();
    const encryption = loadConfig({ CLO_ENCRYPTION_KEYS: `new=${b64(32, 2)},old=${b64(32)}` }).temporal
      .encryption;
    expect(encryption?.activeKeyId).toBe('new');
    expect(encryption?.keys.map((k) => k.id)).toEqual(['new', 'old']);
  });

  it('never prints key material', () => {
    const secret = b64(32, 7);
    const config = loadConfig({ CLO_ENCRYPTION_KEYS: `k=${secret}` });
    expect(JSON.stringify(config)).not.toContain(secret);
    expect(inspect(config, { depth: 10 })).not.toContain(secret);
  });

  it.each([
    [`k1=${b64(16)}`, b64(16), /CLO_ENCRYPTION_KEYS: entry 1: key "k1" is 16 bytes; AES-256 needs 32/],
    ['k1=not*base64', 'not*base64', /CLO_ENCRYPTION_KEYS: entry 1: key "k1" is not valid base64/],
    [`k1=${b64(32)},k1=${b64(32, 2)}`, b64(32, 2), /CLO_ENCRYPTION_KEYS: entry 2: key id "k1" appears twice/],
    [b64(32, 3), b64(32, 3).slice(0, 40), /CLO_ENCRYPTION_KEYS: entry 1: expected id=base64key entries/],
  ])('refuses bad key %#, naming the variable and not the key', (value, secret, message) => {
    let error: Error | undefined;
    try {
      loadConfig({ CLO_ENCRYPTION_KEYS: value });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(secret);
  });

  it('reads a key file, skipping comments, and names its line on a bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clo-keys-'));
    const file = `${dir}/keys`;
    writeFileSync(file, `# active first\nk2=${b64(32, 2)}\n\nk1=${b64(32)}\n`);
    expect(loadConfig({ CLO_ENCRYPTION_KEY_FILE: file }).temporal.encryption?.activeKeyId).toBe('k2');
    writeFileSync(file, `k2=${b64(32, 2)}\nk1=${b64(31)}\n`);
    expect(() => loadConfig({ CLO_ENCRYPTION_KEY_FILE: file })).toThrow(
      new RegExp(`CLO_ENCRYPTION_KEY_FILE: ${file} line 2: key "k1" is 31 bytes`),
    );
    expect(() => loadConfig({ CLO_ENCRYPTION_KEY_FILE: `${dir}/missing` })).toThrow(
      /CLO_ENCRYPTION_KEY_FILE: cannot read the key file .*missing \(ENOENT\)/,
    );
  });
});
