import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ContentLibraryClient } from '../../../activities/content-library/client';
import type { ContentLibraryError, TlsError } from '../../../activities/content-library/errors';
import { normalizeThumbprint, thumbprintOf, type TlsOptions } from '../../../activities/content-library/tls';
import { type FakeVapi, makeCert, sendValue, startFakeVapi } from './fake-server';

let cert: { key: string; cert: string };
let server: FakeVapi;
let thumbprint: string;
let dir: string;
let caFile: string;

beforeAll(async () => {
  cert = await makeCert([{ ip: '127.0.0.1' }]);
  // An independent computation of the thumbprint: Node's own X509 parser.
  thumbprint = new X509Certificate(cert.cert).fingerprint;
  server = await startFakeVapi({ tls: cert });
  server.route = (req, res) => {
    if (req.url === '/rest/com/vmware/content/library') {
      sendValue(res, ['lib-1']);
      return true;
    }
    return false;
  };
  dir = mkdtempSync(join(tmpdir(), 'cl-tls-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, cert.cert);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listWith(tls: TlsOptions | undefined, url = server.url): Promise<string[]> {
  const client = new ContentLibraryClient({
    url,
    username: 'user',
    password: 'pass',
    ...(tls ? { tls } : {}),
  });
  try {
    return await client.listLibraries();
  } finally {
    await client.close();
  }
}

async function failureOf(p: Promise<unknown>): Promise<ContentLibraryError> {
  try {
    await p;
  } catch (err) {
    return err as ContentLibraryError;
  }
  throw new Error('expected a failure');
}

describe('thumbprints', () => {
  it('thumbprintOf is the SHA-1 of the DER certificate, as AA:BB:...', () => {
    const der = new X509Certificate(cert.cert).raw;
    expect(thumbprintOf(der)).toBe(thumbprint);
    expect(thumbprint).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  });

  it('normalizes plain hex of any case and rejects garbage', () => {
    const plain = thumbprint.replace(/:/g, '').toLowerCase();
    expect(normalizeThumbprint(plain)).toBe(thumbprint);
    expect(normalizeThumbprint(thumbprint.toLowerCase())).toBe(thumbprint);
    expect(() => normalizeThumbprint('AA:BB')).toThrow(/4 hex digits\) is not a SHA-1 thumbprint/);
    expect(() => normalizeThumbprint('zz'.repeat(20))).toThrow(TypeError);
  });
});

describe('TLS verification', () => {
  it('rejects a self-signed certificate by default with a non-retryable TlsError', async () => {
    const e = await failureOf(listWith(undefined));
    expect(e.name).toBe('TlsError');
    expect(e.code).toBe('TLS');
    expect(e.retryable).toBe(false);
    expect(e.operation).toBe('login');
    expect(e.message).toMatch(/self[- ]signed/i);
    expect(server.tokens).toHaveLength(0);
  });

  it('accepts the certificate when its CA file is configured', async () => {
    expect(await listWith({ caFile })).toEqual(['lib-1']);
  });

  it('accepts the certificate when its CA PEM is configured', async () => {
    expect(await listWith({ ca: cert.cert })).toEqual(['lib-1']);
  });

  it('accepts the certificate when the pinned thumbprint matches, in either notation', async () => {
    expect(await listWith({ thumbprint })).toEqual(['lib-1']);
    expect(await listWith({ thumbprint: thumbprint.replace(/:/g, '').toLowerCase() })).toEqual(['lib-1']);
  });

  it('refuses a mismatching thumbprint with a TlsError naming both thumbprints, before any request is sent', async () => {
    const before = server.requests.length;
    const wrong = '01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67';
    const e = (await failureOf(listWith({ thumbprint: wrong }))) as TlsError;
    expect(e.name).toBe('TlsError');
    expect(e.retryable).toBe(false);
    expect(e.expectedThumbprint).toBe(wrong);
    expect(e.actualThumbprint).toBe(thumbprint);
    expect(e.message).toContain(wrong);
    expect(e.message).toContain(thumbprint);
    expect(server.requests.length).toBe(before);
  });

  it('lets the pin decide even when the CA would trust the server', async () => {
    const e = await failureOf(listWith({ ca: cert.cert, thumbprint: '00'.repeat(20) }));
    expect(e.name).toBe('TlsError');
  });

  it('accepts anything with insecure: true', async () => {
    expect(await listWith({ insecure: true })).toEqual(['lib-1']);
  });

  it('refuses a host-name mismatch under CA trust, but a matching pin skips all other validation', async () => {
    const other = await makeCert([{ dns: 'vc.example.com' }]);
    const otherServer = await startFakeVapi({ tls: other });
    otherServer.route = (req, res) =>
      req.url === '/rest/com/vmware/content/library' ? (sendValue(res, []), true) : false;
    try {
      const e = await failureOf(listWith({ ca: other.cert }, otherServer.url));
      expect(e.name).toBe('TlsError');
      expect(e.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
      expect(
        await listWith({ thumbprint: new X509Certificate(other.cert).fingerprint }, otherServer.url),
      ).toEqual([]);
    } finally {
      await otherServer.close();
    }
  });
});

describe('transfer endpoint thumbprints', () => {
  it('pins the endpoint thumbprint for a download from another server than the API', async () => {
    const api = await startFakeVapi();
    try {
      const client = new ContentLibraryClient({ url: api.url, username: 'user', password: 'pass' });
      // The API login token is what vcsim and vCenter check on transfers; accept it on the TLS server too.
      server.route = (req, res) => {
        if (req.url === '/rest/com/vmware/cis/data/s1/a.bin') {
          res.writeHead(200, { 'content-length': '3' });
          res.end('abc');
          return true;
        }
        return false;
      };
      await client.login();
      for (const t of api.tokens) server.valid.add(t);
      const uri = `${server.url}/rest/com/vmware/cis/data/s1/a.bin`;

      const ok = await client.downloadFromEndpoint({ uri, ssl_certificate_thumbprint: thumbprint });
      let text = '';
      for await (const chunk of ok.body) text += String(chunk);
      expect(text).toBe('abc');

      const e = await failureOf(
        client.downloadFromEndpoint({ uri, ssl_certificate_thumbprint: '00'.repeat(20) }),
      );
      expect(e.name).toBe('TlsError');
      expect(e.operation).toBe('downloadFromEndpoint');

      // Without a thumbprint the client's own (default) verification applies.
      const e2 = await failureOf(client.downloadFromEndpoint(uri));
      expect(e2.name).toBe('TlsError');
      await client.close();
    } finally {
      await api.close();
    }
  });
});
