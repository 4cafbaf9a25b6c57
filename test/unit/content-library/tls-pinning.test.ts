import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ContentLibraryClient } from '../../../activities/content-library/client';
import type { ContentLibraryError, TlsError } from '../../../activities/content-library/errors';
import { normalizeThumbprint, thumbprintOf, type TlsOptions } from '../../../activities/content-library/tls';
import { type FakeVapi, makeCert, sendValue, startFakeVapi } from './fake-server';

let cert: { key: string; cert: string };
let other: { key: string; cert: string };
let server: FakeVapi;
let plain: FakeVapi;
let sha256: string;
let dir: string;
let certificateFile: string;
let otherFile: string;

const listRoute: FakeVapi['route'] = (req, res) =>
  req.url === '/rest/com/vmware/content/library' ? (sendValue(res, ['lib-1']), true) : false;

beforeAll(async () => {
  [cert, other] = await Promise.all([makeCert(), makeCert()]);
  // Computed independently of tls.ts: Node's X509 parser and a plain hash of its DER bytes.
  sha256 = new X509Certificate(cert.cert).fingerprint256;
  expect(createHash('sha256').update(new X509Certificate(cert.cert).raw).digest('hex')).toBe(
    sha256.replace(/:/g, '').toLowerCase(),
  );
  server = await startFakeVapi({ tls: cert });
  server.route = listRoute;
  plain = await startFakeVapi();
  plain.route = listRoute;
  dir = mkdtempSync(join(tmpdir(), 'cl-tls-pin-'));
  certificateFile = join(dir, 'vc.pem');
  writeFileSync(certificateFile, cert.cert);
  otherFile = join(dir, 'other.pem');
  writeFileSync(otherFile, other.cert);
});

afterAll(async () => {
  await Promise.all([server.close(), plain.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function listWith(tls: TlsOptions, url = server.url): Promise<string[]> {
  const client = new ContentLibraryClient({ url, username: 'user', password: 'pass', tls });
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

describe('SHA-256 thumbprints', () => {
  it('normalizes a SHA-256 thumbprint in either notation and computes one from DER', () => {
    expect(normalizeThumbprint(sha256.replace(/:/g, '').toLowerCase())).toBe(sha256);
    expect(thumbprintOf(new X509Certificate(cert.cert).raw, 'sha256')).toBe(sha256);
    expect(() => normalizeThumbprint('AB'.repeat(31))).toThrow(/SHA-256/);
  });

  it('accepts the server when its SHA-256 thumbprint matches, in either notation', async () => {
    expect(await listWith({ thumbprint: sha256 })).toEqual(['lib-1']);
    expect(await listWith({ thumbprint: sha256.replace(/:/g, '').toLowerCase() })).toEqual(['lib-1']);
  });

  it('refuses a wrong SHA-256 thumbprint with a TlsError naming both, before any request is sent', async () => {
    const before = server.requests.length;
    const wrong = new X509Certificate(other.cert).fingerprint256;
    const e = (await failureOf(listWith({ thumbprint: wrong }))) as TlsError;
    expect(e.name).toBe('TlsError');
    expect(e.retryable).toBe(false);
    expect(e.expectedThumbprint).toBe(wrong);
    expect(e.actualThumbprint).toBe(sha256);
    expect(server.requests.length).toBe(before);
  });
});

describe('certificate pinning', () => {
  it('accepts the server whose certificate is the pinned PEM file', async () => {
    expect(await listWith({ certificateFile })).toEqual(['lib-1']);
  });

  it('refuses a server whose certificate is not the pinned PEM, naming the file, before any request', async () => {
    const before = server.requests.length;
    const e = (await failureOf(listWith({ certificateFile: otherFile }))) as TlsError;
    expect(e.name).toBe('TlsError');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(`is not the pinned certificate ${otherFile}`);
    expect(e.actualThumbprint).toBe(sha256);
    expect(server.requests.length).toBe(before);
  });

  it('says which file is not a PEM certificate', () => {
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not a certificate');
    expect(
      () =>
        new ContentLibraryClient({
          url: server.url,
          username: 'u',
          password: 'p',
          tls: { certificateFile: bad },
        }),
    ).toThrow(`${bad}: not a PEM certificate`);
  });
});

describe('pinning over plain HTTP', () => {
  it('refuses a plain-HTTP server when a thumbprint is pinned, before any request', async () => {
    const before = plain.requests.length;
    const e = await failureOf(listWith({ thumbprint: sha256 }, plain.url));
    expect(e.name).toBe('TlsError');
    expect(e.message).toMatch(
      /refusing plain HTTP to 127\.0\.0\.1:\d+: a pinned certificate needs an https:\/\/ URL/,
    );
    expect(plain.requests.length).toBe(before);
  });

  it('refuses a plain-HTTP server when a certificate is pinned', async () => {
    const e = await failureOf(listWith({ certificateFile }, plain.url));
    expect(e.name).toBe('TlsError');
  });
});
