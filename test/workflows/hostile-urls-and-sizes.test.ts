/**
 * Hostile-input catalogue, URLs and sizes (issue #11): URL sources and index URLs with credentials (user
 * info, tokens, signatures) or over plain http, a `file://` URL, and inputs too large to be real
 * (names, descriptions, file filters, an OVF with 10,000 files, a payload over Temporal's 2 MB). Each case goes through the client
 * API, a raw `client.workflow.start` or `temporal workflow start`, and through `clo`, and must
 * end in one error naming the field and the fix, with nothing created on the server and
 * nothing written on disk (test/support/hostile.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ovfDescriptor } from '../fixtures/content';
import { catalogue, useHostileWorld, zodRefusal, type HostileCase } from '../support/hostile';
import { iso, credentials, plainHttp, cliUpload, cliSync, expectNothingLeft } from '../support/hostile-cases';

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
    // clo refuses a URL of any other scheme as such (it once read it as a path under its working directory).
    cli: (_w, d) => cliUpload(d, 'file:///etc/passwd'),
    type: 'InvalidInput',
    message: zodRefusal('source.url', 'expected an http\\(s\\) URL'),
    cliMessage:
      /^clo: source file:\/\/\/etc\/passwd: file:\/\/ is not supported; give an https:\/\/ .*URL the vCenter can pull, or a file on the worker host$/,
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

describe('hostile inputs: URLs and sizes', () => {
  const w = useHostileWorld();

  describe('each case', () => {
    catalogue(w, cases);
  });

  it('left nothing on the server', () => expectNothingLeft(w));
});
