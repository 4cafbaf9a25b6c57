/**
 * Hostile-input catalogue, URLs, transport and size (issue #11): URL sources and index URLs
 * with credentials or over plain HTTP, vCenters whose certificate does not match the pin (a
 * thumbprint, a PEM) or is not trusted, vCenter configurations that must not load, and inputs
 * too large to be real. Each runs through the client API, a raw start or `temporal workflow
 * start`, and through `clo` (test/support/hostile.ts); each ends in one error naming the field
 * or setting and the fix, with nothing created on the server and nothing written on disk.
 */
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../temporal.config';
import { ovfDescriptor, writeRandomFile } from '../fixtures/content';
import { startSimulator, type ContentLibrarySimulator } from '../simulator';
import { cloInProcess } from '../support/clo';
import { catalogue, useHostileWorld, zodRefusal, type CaseDirs, type HostileCase } from '../support/hostile';
import { makeCert } from '../unit/content-library/fake-server';

const cliUpload = (d: CaseDirs, arg: string, ...extra: string[]) => [
  'upload',
  arg,
  '--library',
  d.library.name,
  '--item',
  d.item,
  '--vcenter',
  'sim',
  '--wait',
  ...extra,
];
const cliSync = (d: CaseDirs, source: string) => [
  'sync',
  '--source',
  source,
  '--library',
  d.library.name,
  '--vcenter',
  'sim',
  '--wait',
];
const withVCenter = (args: string[], vcenter: string) => args.map((a) => (a === 'sim' ? vcenter : a));
const iso = async (d: CaseDirs) => void (await writeRandomFile(join(d.inside, 'a.iso'), 1024, 'a'));

/** A URL refusal that names the field and the fix, never the secret. */
const credentials =
  /source\.url carries credentials \([^)]*\): [^\n]*\[REDACTED\][\s\S]*upload it as a file source/;
const plainHttp = (flag: string) =>
  new RegExp(`source\\.url is plain http [\\s\\S]*Serve it over https[\\s\\S]*${flag}`);

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
  exit: 1,
});

const cases: HostileCase[] = [
  // --- URLs with credentials, plain http (engineer B) -------------------------------------
  {
    name: 'upload from a URL with a user and password',
    kind: 'upload',
    via: 'client',
    input: (_w, d) => ({
      item: { name: d.item },
      source: { kind: 'url', url: 'https://alice:s3cret@mirror.example/photon.iso' },
    }),
    cli: (_w, d) => cliUpload(d, 'https://alice:s3cret@mirror.example/photon.iso'),
    type: 'InvalidInputError',
    message: credentials,
    exit: 2,
  },
  {
    name: 'upload from a URL with ?token=',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => ({
      item: { name: d.item },
      source: { kind: 'url', url: 'https://mirror.example/photon.iso?token=s3cret' },
    }),
    cli: (_w, d) => cliUpload(d, 'https://mirror.example/photon.iso?token=s3cret'),
    type: 'InvalidInput',
    message: credentials,
    exit: 2,
  },
  {
    name: 'upload from a presigned S3 URL',
    kind: 'upload',
    via: 'temporal',
    input: (_w, d) => ({
      item: { name: d.item },
      source: {
        kind: 'url',
        url: 'https://b.s3.amazonaws.com/p.iso?X-Amz-Credential=AKIA&X-Amz-Signature=s3cret',
      },
    }),
    cli: (_w, d) =>
      cliUpload(d, 'https://b.s3.amazonaws.com/p.iso?X-Amz-Credential=AKIA&X-Amz-Signature=s3cret'),
    type: 'InvalidInput',
    message: credentials,
    exit: 2,
  },
  {
    name: 'upload from a plain-http URL',
    kind: 'upload',
    via: 'client',
    input: (_w, d) => ({
      item: { name: d.item },
      source: { kind: 'url', url: 'http://mirror.example/photon.iso' },
    }),
    cli: (_w, d) => cliUpload(d, 'http://mirror.example/photon.iso'),
    type: 'InvalidInputError',
    message: plainHttp('clo upload --allow-plain-http'),
    exit: 2,
  },
  {
    name: 'upload from a plain-http URL, started raw',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => ({
      item: { name: d.item },
      source: { kind: 'url', url: 'http://mirror.example/photon.iso' },
    }),
    cli: (_w, d) => cliUpload(d, 'http://mirror.example/photon.iso'),
    type: 'InvalidInput',
    message: plainHttp('clo upload --allow-plain-http'),
    exit: 2,
  },
  {
    name: 'upload from a file:// URL',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => ({ item: { name: d.item }, source: { kind: 'url', url: 'file:///etc/passwd' } }),
    // clo reads anything but http(s) as a path: file:/etc/passwd under its working directory.
    cli: (_w, d) => cliUpload(d, 'file:///etc/passwd'),
    type: 'InvalidInput',
    message: zodRefusal('source.url', 'expected an http\\(s\\) URL'),
    cliMessage: /file:\/etc\/passwd does not exist; source\.path is read on the worker host/,
    exit: 2,
  },
  {
    name: 'sync of an index URL with a user and password',
    kind: 'sync',
    via: 'client',
    ownLibrary: true,
    input: () => ({ source: { kind: 'index', url: 'https://bob:s3cret@mirror.example/index.json' } }),
    cli: (_w, d) => cliSync(d, 'https://bob:s3cret@mirror.example/index.json'),
    type: 'InvalidInputError',
    message: credentials,
    exit: 2,
  },
  {
    name: 'sync of an index URL with ?sig=',
    kind: 'sync',
    via: 'raw',
    ownLibrary: true,
    input: () => ({
      source: { kind: 'index', url: 'https://acct.blob.core.windows.net/c/index.json?sv=1&sig=s3cret' },
    }),
    cli: (_w, d) => cliSync(d, 'https://acct.blob.core.windows.net/c/index.json?sv=1&sig=s3cret'),
    type: 'InvalidInput',
    message: credentials,
    exit: 2,
  },
  {
    name: 'sync of a plain-http index',
    kind: 'sync',
    via: 'temporal',
    ownLibrary: true,
    input: () => ({ source: { kind: 'index', url: 'http://mirror.example/index.json' } }),
    cli: (_w, d) => cliSync(d, 'http://mirror.example/index.json'),
    type: 'InvalidInput',
    message: plainHttp('clo sync --allow-plain-http'),
    exit: 2,
  },
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
    exit: 1,
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
    exit: 1,
  },
  // --- oversized inputs -------------------------------------------------------------------
  {
    name: 'upload with a 10,000-character item name',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => iso(d),
    input: (_w, d) => ({
      item: { name: 'n'.repeat(10_000) },
      source: { kind: 'file', path: join(d.inside, 'a.iso') },
    }),
    cli: (_w, d) => [
      ...cliUpload(d, join(d.inside, 'a.iso')).slice(0, 4),
      '--item',
      'n'.repeat(10_000),
      '--vcenter',
      'sim',
    ],
    type: 'InvalidInputError',
    message: zodRefusal('item.name', 'expected at most 255 characters'),
    exit: 2,
  },
  {
    name: "upload with a 3 MB description (over Temporal's 2 MB payload limit)",
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => iso(d),
    input: (_w, d) => ({
      item: { name: d.item, description: 'd'.repeat(3 * 1024 * 1024) },
      source: { kind: 'file', path: join(d.inside, 'a.iso') },
    }),
    cli: (_w, d) => [...cliUpload(d, join(d.inside, 'a.iso')), '--description', 'd'.repeat(3 * 1024 * 1024)],
    type: 'InvalidInputError',
    message: zodRefusal('item.description', 'expected at most 65536 characters'),
    exit: 2,
  },
  {
    name: 'upload with a 100 KB description, started raw',
    kind: 'upload',
    via: 'raw',
    setup: async (_w, d) => iso(d),
    input: (_w, d) => ({
      item: { name: d.item, description: 'd'.repeat(100 * 1024) },
      source: { kind: 'file', path: join(d.inside, 'a.iso') },
    }),
    cli: (_w, d) => [...cliUpload(d, join(d.inside, 'a.iso')), '--description', 'd'.repeat(100 * 1024)],
    type: 'InvalidInput',
    message: zodRefusal('item.description', 'expected at most 65536 characters'),
    exit: 2,
  },
  {
    name: 'upload into a library named with 10,000 characters',
    kind: 'upload',
    via: 'temporal',
    setup: async (_w, d) => iso(d),
    input: (_w, d) => ({
      library: { name: 'l'.repeat(10_000) },
      item: { name: d.item },
      source: { kind: 'file', path: join(d.inside, 'a.iso') },
    }),
    cli: (_w, d) => [
      'upload',
      join(d.inside, 'a.iso'),
      '--library',
      'l'.repeat(10_000),
      '--item',
      d.item,
      '--vcenter',
      'sim',
    ],
    type: 'InvalidInput',
    message: zodRefusal('library.name', 'expected at most 255 characters'),
    exit: 2,
  },
  {
    name: 'download of 100,000 file names',
    kind: 'download',
    via: 'client',
    input: (w, d) => ({
      item: { name: w.seeded.name },
      destination: join(d.inside, 'dl'),
      files: Array.from({ length: 100_000 }, (_, i) => `f${i}.bin`),
    }),
    cli: (w, d) => [
      'download',
      '--library',
      d.library.name,
      '--item',
      w.seeded.name,
      '--dest',
      join(d.inside, 'dl'),
      '--vcenter',
      'sim',
      '--files',
      Array.from({ length: 100_000 }, (_, i) => `f${i}.bin`).join(','),
    ],
    type: 'InvalidInputError',
    message: zodRefusal('files', 'expected at most 1000 file names'),
    exit: 2,
  },
  {
    name: 'upload of an OVF that references 10,000 files',
    kind: 'upload',
    via: 'raw',
    setup: async (_w, d) =>
      writeFile(
        join(d.inside, 'big.ovf'),
        ovfDescriptor(
          'big',
          Array.from({ length: 10_000 }, (_, i) => ({ name: `d${i}.img`, size: 0 })),
        ),
      ),
    input: (_w, d) => ({ item: { name: d.item }, source: { kind: 'ovf', path: join(d.inside, 'big.ovf') } }),
    cli: (_w, d) => cliUpload(d, join(d.inside, 'big.ovf')),
    type: 'SourceError',
    message:
      /references 10000 files, more than the 1000 one item may hold; check that source\.path names a real OVF descriptor/,
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

describe('hostile inputs: URLs, transport, sizes', () => {
  const w = useHostileWorld({ vcenters: tlsVCenters });
  afterAll(async () => tlsSim?.close());

  describe('each case', () => {
    catalogue(w, cases);
  });

  it('no request reached the TLS vCenter: every connection was refused at the handshake', () => {
    expect(tlsSim!.stats.snapshot().calls).toEqual({});
  });

  it('left no session on the server', () => {
    const sim = w.target.sim!;
    // seedItem's one update session, nothing else.
    expect(sim.stats.calls('updatesession.create')).toBe(1);
    expect(sim.stats.calls('downloadsession.create')).toBe(0);
  });

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
