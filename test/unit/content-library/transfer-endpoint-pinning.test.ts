/**
 * Transfer endpoints pin the certificate they name: `ssl_certificate_thumbprint` as SHA-1 (the
 * seeds, 8.0.2) or SHA-256 (later releases), or the PEM `ssl_certificate` of later releases,
 * which wins over the thumbprint when both are set (8.0.2 TransferEndpoint). A real TLS server
 * with a self-signed certificate the client does not otherwise trust serves the bytes.
 */
import { X509Certificate } from 'node:crypto';
import { Readable } from 'node:stream';

import { ContentLibraryClient } from '../../../activities/content-library/client';
import type { ContentLibraryError, TlsError } from '../../../activities/content-library/errors';
import { type TransferEndpoint, UpdateSessionFileInfo } from '../../../activities/content-library/schemas';
import { endpointPin, normalizeThumbprint } from '../../../activities/content-library/tls';
import { drain, type FakeVapi, makeCert, startFakeVapi } from './fake-server';

let cert: { key: string; cert: string };
let other: { key: string; cert: string };
let api: FakeVapi;
let transfers: FakeVapi;
let client: ContentLibraryClient;
let sha1: string;
let sha256: string;
let uri: string;
const received: string[] = [];

beforeAll(async () => {
  [cert, other] = await Promise.all([makeCert(), makeCert()]);
  // Computed independently of tls.ts, by Node's X509 parser.
  const x509 = new X509Certificate(cert.cert);
  sha1 = x509.fingerprint;
  sha256 = x509.fingerprint256;
  api = await startFakeVapi();
  transfers = await startFakeVapi({ tls: cert });
  transfers.route = async (req, res, body) => {
    if (!req.url?.startsWith('/cls/data/')) return false;
    if (req.method === 'PUT') received.push(body);
    else await drain(req);
    res.writeHead(200, { 'content-length': '3' });
    res.end(req.method === 'GET' ? 'abc' : 'ok!');
    return true;
  };
  // The API server is plain HTTP: the transfer server's certificate is trusted by nothing but a pin.
  client = new ContentLibraryClient({ url: api.url, username: 'user', password: 'pass' });
  await client.login();
  for (const t of api.tokens) transfers.valid.add(t);
  uri = `${transfers.url}/cls/data/s1/disk.vmdk`;
});

afterAll(async () => {
  await client.close();
  await Promise.all([api.close(), transfers.close()]);
});

async function failureOf(p: Promise<unknown>): Promise<ContentLibraryError> {
  try {
    await p;
  } catch (err) {
    return err as ContentLibraryError;
  }
  throw new Error('expected a failure');
}

async function download(endpoint: TransferEndpoint): Promise<string> {
  const res = await client.downloadFromEndpoint(endpoint);
  let text = '';
  for await (const chunk of res.body) text += String(chunk);
  return text;
}

async function upload(endpoint: TransferEndpoint, text: string): Promise<number> {
  const res = await client.uploadToEndpoint(endpoint, Readable.from([Buffer.from(text)]), {
    size: text.length,
  });
  return res.bytes;
}

describe('transfer endpoint pins', () => {
  it('refuses the self-signed transfer server when the endpoint pins nothing', async () => {
    const e = await failureOf(download({ uri }));
    expect(e.name).toBe('TlsError');
  });

  it('accepts the server under its SHA-1 and SHA-256 thumbprints, colon-separated or plain', async () => {
    expect(await download({ uri, ssl_certificate_thumbprint: sha1 })).toBe('abc');
    expect(await download({ uri, ssl_certificate_thumbprint: sha256 })).toBe('abc');
    const plain256 = sha256.replace(/:/g, '').toLowerCase();
    expect(await upload({ uri, ssl_certificate_thumbprint: plain256 }, 'sha256')).toBe(6);
    expect(received).toContain('sha256');
  });

  it('pins the PEM ssl_certificate by its bytes, for uploads and downloads', async () => {
    expect(await download({ uri, ssl_certificate: cert.cert })).toBe('abc');
    expect(await upload({ uri, ssl_certificate: cert.cert }, 'pem')).toBe(3);
    expect(received).toContain('pem');
  });

  it('refuses a wrong SHA-256 thumbprint with a TlsError naming both, before any byte is sent', async () => {
    const before = transfers.requests.length;
    const wrong = new X509Certificate(other.cert).fingerprint256;
    const e = (await failureOf(upload({ uri, ssl_certificate_thumbprint: wrong }, 'nope'))) as TlsError;
    expect(e.name).toBe('TlsError');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(`has thumbprint ${sha256}, expected ${wrong}`);
    expect(transfers.requests.length).toBe(before);
  });

  it('refuses a server whose certificate is not the endpoint ssl_certificate, naming the field', async () => {
    const before = transfers.requests.length;
    const e = await failureOf(download({ uri, ssl_certificate: other.cert }));
    expect(e.name).toBe('TlsError');
    expect(e.message).toContain(
      `(SHA-256 ${sha256}) is not the pinned certificate ssl_certificate of the transfer endpoint`,
    );
    expect(transfers.requests.length).toBe(before);
  });

  it('lets ssl_certificate win over ssl_certificate_thumbprint when both are set, as 8.0.2 says', async () => {
    const wrongThumbprint = new X509Certificate(other.cert).fingerprint;
    expect(
      await download({ uri, ssl_certificate: cert.cert, ssl_certificate_thumbprint: wrongThumbprint }),
    ).toBe('abc');
    const e = await failureOf(
      download({ uri, ssl_certificate: other.cert, ssl_certificate_thumbprint: sha1 }),
    );
    expect(e.name).toBe('TlsError');
  });

  it('refuses a thumbprint of the wrong length naming the field and both accepted forms', async () => {
    const e = await failureOf(download({ uri, ssl_certificate_thumbprint: sha256.slice(0, -3) }));
    expect(e.name).toBe('InvalidArgumentError');
    expect(e.message).toContain('ssl_certificate_thumbprint');
    expect(e.message).toContain('62 hex digits');
    expect(e.message).toContain('SHA-1 thumbprint (40 hex digits) or a SHA-256 one (64 hex digits)');
  });

  it('refuses an ssl_certificate that is not PEM, naming the field', async () => {
    const e = await failureOf(download({ uri, ssl_certificate: 'MIIB...' }));
    expect(e.name).toBe('InvalidArgumentError');
    expect(e.message).toContain("the transfer endpoint's ssl_certificate: not a PEM certificate");
  });
});

describe('endpoint certificate fields on the wire', () => {
  it('keeps ssl_certificate of an endpoint the server hands out', () => {
    const info = UpdateSessionFileInfo.parse({
      name: 'disk.vmdk',
      source_type: 'PUSH',
      status: 'WAITING_FOR_TRANSFER',
      bytes_transferred: 0,
      upload_endpoint: { uri, ssl_certificate: cert.cert },
    });
    expect(info.upload_endpoint?.ssl_certificate).toBe(cert.cert);
  });

  it('picks the pin: ssl_certificate first, else the normalised thumbprint, else none', () => {
    expect(endpointPin({ ssl_certificate_thumbprint: sha1.toLowerCase() })?.pin).toBe(sha1);
    expect(endpointPin({ ssl_certificate: cert.cert, ssl_certificate_thumbprint: sha1 })?.key).toBe(
      `certificate ${sha256}`,
    );
    expect(endpointPin({})).toBeUndefined();
    expect(normalizeThumbprint(sha256.replace(/:/g, ''))).toBe(sha256);
    expect(() => normalizeThumbprint('zz'.repeat(20), 'CLO_X_THUMBPRINT')).toThrow(
      /^CLO_X_THUMBPRINT "z{40}" \(not hex\) is not a SHA-1 thumbprint/,
    );
  });
});
