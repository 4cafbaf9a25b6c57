/**
 * The api-8.0.2 additions to file add: SHA256/SHA512 checksum_info (ContentLibraryItemFileChecksumAlgorithm)
 * and the PULL pins of later releases (ssl_certificate PEM, SHA-256 thumbprints); /rest keeps the 6.6.1
 * enum.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate, createHash } from 'node:crypto';
import { generate } from 'selfsigned';
import { startSimulator } from './index';
import type { ContentLibrarySimulator } from './index';
import { apiFixture, expectApiError } from './api-helpers';
import type { ApiClient } from './api-helpers';
import { expectVapiError, fixture } from './helpers';

const PAYLOAD = Buffer.from('pulled over https\n'.repeat(100));
const US = '/content/library/item/update-session';
const hash = (algorithm: string): string => createHash(algorithm).update(PAYLOAD).digest('hex');

describe('simulator: /api checksums and PULL pins', () => {
  let sim: ContentLibrarySimulator;
  let source: https.Server;
  let url: string;
  let pem: string;
  let other: string;

  beforeAll(async () => {
    sim = await startSimulator();
    const pems = await generate([{ name: 'commonName', value: 'source.test' }], { keyType: 'ec' });
    pem = pems.cert;
    other = (await generate([{ name: 'commonName', value: 'other.test' }], { keyType: 'ec' })).cert;
    source = https.createServer({ key: pems.private, cert: pems.cert }, (_req, res) => res.end(PAYLOAD));
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(source.address() as AddressInfo).port}/file`;
  });
  afterAll(async () => {
    source.closeAllConnections();
    await Promise.all([new Promise((r) => source.close(r)), sim.close()]);
  });

  async function pull(
    api: ApiClient,
    itemId: string,
    spec: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const id = await api.createUpdateSession(itemId);
    await api.expect(201, 'POST', `${US}/${id}/file`, {
      body: { name: 'p.bin', source_type: 'PULL', ...spec },
    });
    for (let i = 0; i < 300; i++) {
      const f = await api.expect<Record<string, unknown>>(200, 'GET', `${US}/${id}/file/p.bin`);
      if (f.status !== 'TRANSFERRING') {
        await api.action('update-session', id, 'cancel');
        return f;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('pull did not settle');
  }

  it('verifies SHA256 and SHA512 checksums and pins by PEM or SHA-256 thumbprint', async () => {
    const { api, itemId } = await apiFixture(sim, 'iso');
    const sha256Thumbprint = new X509Certificate(pem).fingerprint256;
    expect(
      await pull(api, itemId, {
        source_endpoint: { uri: url, ssl_certificate_thumbprint: sha256Thumbprint },
        checksum_info: { algorithm: 'SHA256', checksum: hash('sha256') },
      }),
    ).toMatchObject({ status: 'READY', bytes_transferred: PAYLOAD.length });
    expect(
      await pull(api, itemId, {
        // ssl_certificate wins over a thumbprint that would not match.
        source_endpoint: { uri: url, ssl_certificate: pem, ssl_certificate_thumbprint: '00'.repeat(20) },
        checksum_info: { algorithm: 'SHA512', checksum: hash('sha512') },
      }),
    ).toMatchObject({ status: 'READY' });
    const wrongPem = await pull(api, itemId, { source_endpoint: { uri: url, ssl_certificate: other } });
    expect(wrongPem).toMatchObject({
      status: 'ERROR',
      error_message: { default_message: expect.stringMatching(/ssl_certificate/) },
    });
    const wrongSum = await pull(api, itemId, {
      source_endpoint: { uri: url, ssl_certificate: pem },
      checksum_info: { algorithm: 'SHA256', checksum: createHash('sha256').update('x').digest('hex') },
    });
    expect(wrongSum).toMatchObject({
      status: 'ERROR',
      error_message: { default_message: expect.stringMatching(/checksum mismatch/) },
    });
  });

  it('refuses a malformed PEM and a digest of the wrong length; /rest refuses SHA256', async () => {
    const { api, itemId } = await apiFixture(sim, 'iso');
    const id = await api.createUpdateSession(itemId);
    const add = (spec: Record<string, unknown>) =>
      api.call('POST', `${US}/${id}/file`, { body: { name: 'p.bin', ...spec } });
    expectApiError(
      await add({ source_type: 'PULL', source_endpoint: { uri: url, ssl_certificate: 'nope' } }),
      400,
      'INVALID_ARGUMENT',
      'FILE_SPEC_INVALID',
    );
    expectApiError(
      await add({ source_type: 'PUSH', checksum_info: { algorithm: 'SHA512', checksum: hash('sha256') } }),
      400,
      'INVALID_ARGUMENT',
      'FILE_SPEC_INVALID',
    );
    const rest = await fixture(sim);
    const sessionId = ((await rest.client.createUpdateSession(rest.itemId)).body as { value: string }).value;
    const res = await rest.client.addFile(sessionId, {
      name: 'p.bin',
      source_type: 'PUSH',
      checksum_info: { algorithm: 'SHA256', checksum: hash('sha256') },
    });
    expectVapiError(res, 400, 'invalid_argument', 'CHECKSUM_ALGORITHMS');
  });
});
