/**
 * The certificate and checksum fields a caller gives for a PULL (url source, sync index): both
 * thumbprint lengths, the PEM `ssl_certificate`, and 8.0.2's SHA256/SHA512 checksums; a wrong
 * value is refused naming the field and what is accepted.
 */
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';

import { planSource } from '../../activities/sources';
import { sourceEndpointCertificate } from '../../activities/content-library/tls';
import { SyncInput } from '../../workflows/definitions/sync';
import { UploadInput } from '../../workflows/definitions/upload';
import { makeCert } from './content-library/fake-server';
import { rejectionOf } from './sources/helpers';

let pem: string;
let sha1: string;
let sha256: string;

beforeAll(async () => {
  pem = (await makeCert()).cert;
  const x509 = new X509Certificate(pem);
  sha1 = x509.fingerprint;
  sha256 = x509.fingerprint256;
});

const url = 'https://images.example.com/photon.iso';

function uploadProblem(source: Record<string, unknown>): string | undefined {
  const parsed = UploadInput.safeParse({
    vcenter: 'lab',
    library: { name: 'lib' },
    item: { name: 'photon' },
    source: { kind: 'url', url, ...source },
  });
  return parsed.success ? undefined : z.prettifyError(parsed.error);
}

describe('url source certificate and checksum fields', () => {
  it('accepts SHA-1 and SHA-256 thumbprints, colon-separated or plain, and a PEM certificate', () => {
    for (const t of [sha1, sha256, sha1.replace(/:/g, '').toLowerCase(), sha256.replace(/:/g, '')]) {
      expect(uploadProblem({ sslCertificateThumbprint: t })).toBeUndefined();
    }
    expect(uploadProblem({ sslCertificate: pem, sslCertificateThumbprint: sha256 })).toBeUndefined();
  });

  it.each([
    ['62 hex digits', () => 'ab'.repeat(31)],
    ['a SHA-1 one cut short', () => sha1.slice(0, -3)],
    ['not hex', () => 'zz'.repeat(20)],
  ])('refuses a thumbprint of %s naming the field and both forms', (_, value) => {
    const problem = uploadProblem({ sslCertificateThumbprint: value() });
    expect(problem).toContain('source.sslCertificateThumbprint');
    expect(problem).toContain(
      'a SHA-1 thumbprint (40 hex digits) or a SHA-256 one (64 hex digits), plain or colon-separated (AA:BB:...)',
    );
  });

  it('refuses a certificate that is not PEM, naming the field', () => {
    const problem = uploadProblem({ sslCertificate: sha256 });
    expect(problem).toContain('source.sslCertificate');
    expect(problem).toContain('expected a PEM certificate');
  });

  it('accepts the SHA256 and SHA512 checksums of 8.0.2 and checks each digest length', () => {
    expect(uploadProblem({ checksum: { algorithm: 'SHA256', checksum: 'a'.repeat(64) } })).toBeUndefined();
    expect(uploadProblem({ checksum: { algorithm: 'SHA512', checksum: 'A'.repeat(128) } })).toBeUndefined();
    const problem = uploadProblem({ checksum: { algorithm: 'SHA256', checksum: 'a'.repeat(40) } });
    expect(problem).toContain('source.checksum.checksum');
    expect(problem).toContain('a SHA256 checksum is 64 hex digits, got 40');
  });

  it('plans the PEM into the pull, and refuses armour around something that is not a certificate', async () => {
    const plan = await planSource({ kind: 'url', url, sslCertificate: pem });
    expect(plan.files[0]?.origin).toEqual({ kind: 'url', url, sslCertificate: pem });
    const fake = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n';
    const err = await rejectionOf(planSource({ kind: 'url', url, sslCertificate: fake }));
    expect(err.message).toContain('source.sslCertificate: not a PEM certificate');
  });

  it("builds the endpoint's certificate fields: the thumbprint as vCenter prints it, the PEM as given", () => {
    expect(
      sourceEndpointCertificate({ sslCertificateThumbprint: sha256.replace(/:/g, '').toLowerCase() }),
    ).toEqual({ ssl_certificate_thumbprint: sha256 });
    expect(sourceEndpointCertificate({ sslCertificate: pem, sslCertificateThumbprint: sha1 })).toEqual({
      ssl_certificate: pem,
      ssl_certificate_thumbprint: sha1,
    });
    expect(sourceEndpointCertificate({})).toEqual({});
    // A run planned before inputs were validated may carry anything: the vCenter judges it, as then.
    expect(sourceEndpointCertificate({ sslCertificateThumbprint: 'AA:BB' })).toEqual({
      ssl_certificate_thumbprint: 'AA:BB',
    });
  });
});

describe('sync index thumbprint', () => {
  it('accepts a SHA-256 thumbprint and refuses a wrong length naming the field', () => {
    const input = (t: string) => ({
      vcenter: 'lab',
      library: { name: 'lib' },
      source: { kind: 'index', url: 'https://images.example.com/index.json', sslCertificateThumbprint: t },
    });
    expect(SyncInput.safeParse(input(sha256)).success).toBe(true);
    const parsed = SyncInput.safeParse(input('ab'.repeat(30)));
    expect(parsed.success).toBe(false);
    const problem = z.prettifyError(parsed.error!);
    expect(problem).toContain('source.sslCertificateThumbprint');
    expect(problem).toContain('or a SHA-256 one (64 hex digits)');
  });
});
