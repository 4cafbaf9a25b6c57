/**
 * Hostile-input catalogue, vCenter transport (issue #11): vCenters whose certificate does not match the
 * pin (a SHA-256 or SHA-1 thumbprint, a PEM), is not trusted (no CA, the wrong CA), whose PEM file
 * is not one, that are not configured, and configurations that must not load (plain HTTP without
 * ALLOW_PLAIN_HTTP, a pin over plain HTTP, a malformed thumbprint). Each case goes through the client
 * API, a raw `client.workflow.start` or `temporal workflow start`, and through `clo`, and must
 * end in one error naming the field and the fix, with nothing created on the server and
 * nothing written on disk (test/support/hostile.ts).
 */
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../temporal.config';
import { writeRandomFile } from '../fixtures/content';
import { startSimulator, type ContentLibrarySimulator } from '../simulator';
import { cloInProcess } from '../support/clo';
import { catalogue, useHostileWorld, type HostileCase } from '../support/hostile';
import { iso, cliUpload, withVCenter, expectNothingLeft } from '../support/hostile-cases';
import { makeCert } from '../unit/content-library/fake-server';

/** The same saga against a vCenter of the TLS simulator whose certificate the config gets wrong. */
const tlsCase = (vcenter: string, via: HostileCase['via'], message: RegExp): HostileCase => ({
  name: `upload to vCenter ${vcenter}`,
  kind: 'upload',
  via,
  setup: async (_w, d) => iso(d),
  input: (_w, d) => ({
    vcenter,
    item: { name: d.item },
    source: { kind: 'file', path: join(d.inside, 'a.iso') },
  }),
  cli: (_w, d) => withVCenter(cliUpload(d, join(d.inside, 'a.iso')), vcenter),
  type: 'TlsError',
  message,
  exit: 6,
});

const cases: HostileCase[] = [
  // --- vCenter transport: the worker's configuration gets the certificate wrong -------------
  tlsCase(
    'badpin',
    'client',
    /certificate of \S+ has thumbprint [^\n]*; [^\n]*set CLO_VCENTER_BADPIN_THUMBPRINT/,
  ),
  tlsCase(
    'badsha1',
    'raw',
    /certificate of \S+ has thumbprint [^\n]*; [^\n]*set CLO_VCENTER_BADSHA1_THUMBPRINT/,
  ),
  tlsCase(
    'badpem',
    'temporal',
    /is not the pinned certificate [^\n]*; set CLO_VCENTER_BADPEM_CERTIFICATE_FILE to a PEM file/,
  ),
  tlsCase(
    'noca',
    'client',
    /self-signed certificate[^\n]*; trust the CA that signed it with CLO_VCENTER_NOCA_CA_FILE, or pin the certificate with CLO_VCENTER_NOCA_THUMBPRINT/,
  ),
  tlsCase('badca', 'raw', /certificate[^\n]*; trust the CA that signed it with CLO_VCENTER_BADCA_CA_FILE/),
  {
    ...tlsCase(
      'notpem',
      'client',
      /CLO_VCENTER_NOTPEM_CERTIFICATE_FILE[^\n]*not a PEM certificate[^\n]*point it at a readable PEM certificate/,
    ),
    type: 'ConfigError',
    exit: 2,
  },
  {
    name: 'download from a vCenter whose thumbprint does not match',
    kind: 'download',
    via: 'temporal',
    input: (_w, d) => ({ vcenter: 'badpin', item: { name: 'anything' }, destination: join(d.inside, 'dl') }),
    cli: (_w, d) => [
      'download',
      '--library',
      d.library.name,
      '--item',
      'anything',
      '--dest',
      join(d.inside, 'dl'),
      '--vcenter',
      'badpin',
      '--wait',
    ],
    type: 'TlsError',
    message: /has thumbprint [^\n]*set CLO_VCENTER_BADPIN_THUMBPRINT/,
    exit: 6,
  },
  {
    name: 'upload to a vCenter that is not configured',
    kind: 'upload',
    via: 'raw',
    setup: async (_w, d) => iso(d),
    input: (_w, d) => ({
      vcenter: 'nosuch',
      item: { name: d.item },
      source: { kind: 'file', path: join(d.inside, 'a.iso') },
    }),
    cli: (_w, d) => withVCenter(cliUpload(d, join(d.inside, 'a.iso')), 'nosuch'),
    type: 'ConfigError',
    message: /vCenter "nosuch" is not configured; configured: /,
    exit: 2,
  },
];

let tlsSim: ContentLibrarySimulator | undefined;

/** vCenters on an HTTPS simulator, each with the certificate settings wrong in its own way. */
async function tlsVCenters(dir: string): Promise<Record<string, unknown>> {
  const [cert, other] = await Promise.all([makeCert(), makeCert()]);
  tlsSim = await startSimulator({ username: 'user', password: 'pass', tls: cert });
  const otherPem = join(dir, 'other.pem');
  const notPem = join(dir, 'not.pem');
  await writeFile(otherPem, other.cert);
  await writeFile(notPem, 'this is not a certificate\n');
  const vc = (tls: Record<string, unknown>) => ({
    url: tlsSim!.url,
    username: 'user',
    password: 'pass',
    tls,
  });
  const otherX509 = new X509Certificate(other.cert);
  return {
    badpin: vc({ thumbprint: otherX509.fingerprint256 }),
    badsha1: vc({ thumbprint: otherX509.fingerprint }),
    badpem: vc({ certificateFile: otherPem }),
    noca: vc({}),
    badca: vc({ caFile: otherPem }),
    notpem: vc({ certificateFile: notPem }),
  };
}

describe('hostile inputs: vCenter transport', () => {
  const w = useHostileWorld({ vcenters: tlsVCenters });
  afterAll(async () => tlsSim?.close());

  describe('each case', () => {
    catalogue(w, cases);
  });

  it('no request reached the TLS vCenter: every connection was refused at the handshake', () => {
    expect(tlsSim!.stats.snapshot().calls).toEqual({});
  });

  it('left nothing on the server', () => expectNothingLeft(w));

  /** Configurations that must not load: clo (the client) and clo worker both refuse them. */
  const refusedConfigs: Array<{ name: string; env: (url: string) => NodeJS.ProcessEnv; message: RegExp }> = [
    {
      name: 'a plain-HTTP vCenter without ALLOW_PLAIN_HTTP',
      env: (url) => ({
        CLO_VCENTER_PLAIN_URL: url,
        CLO_VCENTER_PLAIN_USERNAME: 'u',
        CLO_VCENTER_PLAIN_PASSWORD: 'p',
      }),
      message:
        /CLO_VCENTER_PLAIN_URL: http:\S+ is plain HTTP, which would send the vCenter password and session in clear; use https:\/\/, or for a simulator such as vcsim set CLO_VCENTER_PLAIN_ALLOW_PLAIN_HTTP=true/,
    },
    {
      name: 'a thumbprint pinned on a plain-HTTP vCenter',
      env: (url) => ({
        CLO_VCENTER_PINNED_URL: url,
        CLO_VCENTER_PINNED_USERNAME: 'u',
        CLO_VCENTER_PINNED_PASSWORD: 'p',
        CLO_VCENTER_PINNED_ALLOW_PLAIN_HTTP: 'true',
        CLO_VCENTER_PINNED_THUMBPRINT: 'AB'.repeat(32),
      }),
      message:
        /CLO_VCENTER_PINNED_THUMBPRINT is set but http:\S+ is plain HTTP, where there is no certificate to check; use an https:\/\/ url, or unset it/,
    },
    {
      name: 'a malformed thumbprint',
      env: () => ({
        CLO_VCENTER_LAB_URL: 'https://vcenter.example',
        CLO_VCENTER_LAB_USERNAME: 'u',
        CLO_VCENTER_LAB_PASSWORD: 'p',
        CLO_VCENTER_LAB_THUMBPRINT: 'not-a-thumbprint',
      }),
      message: /CLO_VCENTER_LAB_THUMBPRINT: expected a SHA-1 or SHA-256 thumbprint/,
    },
  ];
  for (const c of refusedConfigs) {
    it(`refuses ${c.name}: loadConfig, clo upload and clo worker name the variable (exit 2)`, async () => {
      const env = { ...c.env(w.target.url), CLO_CONFIG_FILE: '' };
      expect(() => loadConfig({ ...process.env, ...env })).toThrow(c.message);
      const iso = await writeRandomFile(join(w.root, `cfg-${Date.now()}.iso`), 1024, 'cfg');
      const up = await cloInProcess(
        ['upload', iso.path, '--library', w.library.name, '--item', 'cfg-item', '--vcenter', 'plain'],
        env,
      );
      expect({ code: up.code, stderr: up.stderr }).toEqual({
        code: 2,
        stderr: expect.stringMatching(c.message),
      });
      const worker = await cloInProcess(['worker'], env);
      expect({ code: worker.code, stderr: worker.stderr }).toEqual({
        code: 2,
        stderr: expect.stringMatching(c.message),
      });
      expect(await w.rest.findLibraryItems({ library_id: w.library.id, name: 'cfg-item' })).toEqual([]);
    });
  }
});
