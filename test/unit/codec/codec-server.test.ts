/** The codec server the Web UI calls: CORS for its origin, the bearer token, encode/decode round trips. */
import { createSecretKey, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import { createCodecServer } from '../../../codec/codec-server';
import { EncryptionCodec } from '../../../codec/encryption-codec';

const UI = 'http://localhost:8233';
const TOKEN = 'test-token-5d1c';
const codec = new EncryptionCodec({
  keys: [{ id: 'k1', key: createSecretKey(randomBytes(32)) }],
  activeKeyId: 'k1',
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (payload: ReturnType<typeof defaultPayloadConverter.toPayload>) => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

describe('the codec server', () => {
  let open: Server;
  let guarded: Server;
  let openUrl: string;
  let guardedUrl: string;
  beforeAll(async () => {
    open = createCodecServer({ codec, corsOrigins: [UI] });
    guarded = createCodecServer({ codec, corsOrigins: [UI], authToken: TOKEN });
    [openUrl, guardedUrl] = await Promise.all([listen(open), listen(guarded)]);
  });
  afterAll(async () => {
    await Promise.all([open, guarded].map((s) => new Promise((r) => s.close(r))));
  });

  const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: UI, ...headers },
      body: JSON.stringify(body),
    });

  it('answers the CORS preflight for the configured origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${openUrl}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const ok = await preflight(UI);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')?.split(/,\s*/).sort()).toEqual([
      'authorization',
      'content-type',
      'x-namespace',
    ]);
    const other = await preflight('http://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('round-trips payloads through /encode and /decode, under any path prefix', async () => {
    const plain = defaultPayloadConverter.toPayload({ item: 'secret-item-9c2e' });
    const encoded = await post(openUrl, '/default/encode', { payloads: [json(plain)] });
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe(UI);
    const sealed = (await encoded.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    expect(Buffer.from(sealed.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed.payloads[0]!.data, 'base64').toString()).not.toContain('secret-item');

    const decoded = await post(openUrl, '/decode', sealed);
    expect(decoded.status).toBe(200);
    expect(await decoded.json()).toEqual({ payloads: [json(plain)] });
  });

  it('answers 401 without the bearer token when one is set, and 200 with it', async () => {
    const plain = { payloads: [json(defaultPayloadConverter.toPayload('x'))] };
    expect((await post(guardedUrl, '/decode', plain)).status).toBe(401);
    expect(
      (await post(guardedUrl, '/decode', plain, { authorization: 'Bearer wrong-token-00' })).status,
    ).toBe(401);
    const ok = await post(guardedUrl, '/decode', plain, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(plain);
  });

  it('refuses a malformed body, an unknown path, and a payload it cannot open', async () => {
    expect((await post(openUrl, '/decode', { nope: 1 })).status).toBe(400);
    expect((await post(openUrl, '/other', { payloads: [] })).status).toBe(404);
    const foreign = await new EncryptionCodec({
      keys: [{ id: 'k9', key: createSecretKey(randomBytes(32)) }],
      activeKeyId: 'k9',
    }).encode([defaultPayloadConverter.toPayload('x')]);
    const res = await post(openUrl, '/decode', { payloads: [json(foreign[0]!)] });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(/key "k9", which is not configured/);
  });
});
