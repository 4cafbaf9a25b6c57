/**
 * Hostile-input catalogue, paths (issue #11): sources and destinations that leave the worker's
 * roots by `..`, by symbolic links or by plain naming, kernel and device files, FIFOs, DIRECT
 * endpoints outside the roots, and paths that are not paths. Each case goes through the client
 * API, a raw `client.workflow.start` or `temporal workflow start`, and through `clo`; each must
 * end in one error naming the field and the fix, with nothing created on the server and
 * nothing written on disk (test/support/hostile.ts).
 */
import { symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeOvfPackage, ovfDescriptor, packTar, writeRandomFile } from '../fixtures/content';
import {
  catalogue,
  sessionCounts,
  useHostileWorld,
  zodRefusal,
  type CaseDirs,
  type HostileCase,
} from '../support/hostile';

const run = promisify(execFile);
const mkfifo = async (path: string) => void (await run('mkfifo', [path]));

/** A refusal of `field` for leaving the read roots, saying how to allow it. */
const outsideRead = (field: string) =>
  new RegExp(
    `${field.replace('.', '\\.')} \\S+ is not allowed: [^\\n]*outside the worker's read roots[^\\n]*CLO_READ_ROOTS`,
  );
const outsideWrite = (field: string) =>
  new RegExp(
    `${field.replace('.', '\\.')} \\S+ is not allowed: [^\\n]*outside the worker's write roots[^\\n]*CLO_WRITE_ROOTS`,
  );
/** A refusal of a kernel or device path. */
const kernel = (field: string) =>
  new RegExp(
    `${field.replace('.', '\\.')} \\S+ is not allowed: [^\\n]*under /(proc|dev|sys), which holds kernel and device files`,
  );

const upload = (d: { item: string }, source: Record<string, unknown>) => ({
  item: { name: d.item },
  source,
});
const cliUpload = (_w: unknown, d: CaseDirs, arg: string) => [
  'upload',
  arg,
  '--library',
  d.library.name,
  '--item',
  d.item,
  '--vcenter',
  'sim',
  '--wait',
];
const download = (
  w: { seeded: { name: string } },
  destination: string,
  extra: Record<string, unknown> = {},
) => ({
  item: { name: w.seeded.name },
  destination,
  overwrite: true,
  ...extra,
});
const cliDownload = (
  w: { library: { name: string }; seeded: { name: string } },
  dest: string,
  ...extra: string[]
) => [
  'download',
  '--library',
  w.library.name,
  '--item',
  w.seeded.name,
  '--dest',
  dest,
  '--vcenter',
  'sim',
  '--overwrite',
  '--wait',
  ...extra,
];

const PATH_MAX = 4096;

const cases: HostileCase[] = [
  // --- upload sources outside the roots ---------------------------------------------------
  {
    name: 'upload of /etc/passwd',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => upload(d, { kind: 'file', path: '/etc/passwd' }),
    cli: (w, d) => cliUpload(w, d, '/etc/passwd'),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 1,
  },
  {
    name: 'upload of the vCenter password file beside the roots',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => writeFile(join(d.outside, 'vc-password'), 'hunter2\n'),
    input: (_w, d) => upload(d, { kind: 'file', path: join(d.outside, 'vc-password') }),
    cli: (w, d) => cliUpload(w, d, join(d.outside, 'vc-password')),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 1,
  },
  {
    name: 'upload through .. out of a root',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => writeFile(join(d.outside, 'secret.iso'), 'secret'),
    input: (_w, d) =>
      upload(d, { kind: 'file', path: `${d.inside}/../../outside/${d.outside.split('/').pop()}/secret.iso` }),
    cli: (w, d) => cliUpload(w, d, `${d.inside}/../../outside/${d.outside.split('/').pop()}/secret.iso`),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 1,
  },
  {
    name: 'upload of a symlink in a root to a file outside',
    kind: 'upload',
    via: 'temporal',
    setup: async (_w, d) => {
      await writeFile(join(d.outside, 'secret.iso'), 'secret');
      await symlink(join(d.outside, 'secret.iso'), join(d.inside, 'innocent.iso'));
    },
    input: (_w, d) => upload(d, { kind: 'file', path: join(d.inside, 'innocent.iso') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'innocent.iso')),
    type: 'PathNotAllowed',
    message:
      /source\.path \S+ is not allowed: it resolves to \S+secret\.iso, outside the worker's read roots/,
    exit: 1,
  },
  {
    name: 'upload through a symlinked directory in a root',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => {
      await writeFile(join(d.outside, 'secret.iso'), 'secret');
      await symlink(d.outside, join(d.inside, 'share'));
    },
    input: (_w, d) => upload(d, { kind: 'file', path: join(d.inside, 'share', 'secret.iso') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'share', 'secret.iso')),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 1,
  },
  {
    name: 'upload of /proc/self/environ',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => upload(d, { kind: 'file', path: '/proc/self/environ' }),
    cli: (w, d) => cliUpload(w, d, '/proc/self/environ'),
    type: 'PathNotAllowed',
    message: kernel('source.path'),
    exit: 1,
  },
  {
    name: 'upload of /dev/zero',
    kind: 'upload',
    via: 'client',
    input: (_w, d) => upload(d, { kind: 'file', path: '/dev/zero' }),
    cli: (w, d) => cliUpload(w, d, '/dev/zero'),
    type: 'PathNotAllowed',
    message: kernel('source.path'),
    exit: 2,
    // clo checks the source on its own host first, with the source layer's words.
    cliMessage: /\/dev\/zero is a device, not a file; source\.path must name a regular file/,
  },
  {
    name: 'upload of a device node inside a root',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => void (await run('mknod', [join(d.inside, 'zero.iso'), 'c', '1', '5'])),
    input: (_w, d) => upload(d, { kind: 'file', path: join(d.inside, 'zero.iso') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'zero.iso')),
    type: 'PathNotAllowed',
    message: /source\.path \S+ is not allowed: it is a device, not a regular file; name a regular file/,
    exit: 2,
    cliMessage: /zero\.iso is a device, not a file; source\.path must name a regular file/,
  },
  {
    name: 'upload of a FIFO inside a root',
    kind: 'upload',
    via: 'raw',
    setup: async (_w, d) => mkfifo(join(d.inside, 'pipe.iso')),
    input: (_w, d) => upload(d, { kind: 'file', path: join(d.inside, 'pipe.iso') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'pipe.iso')),
    type: 'PathNotAllowed',
    message:
      /source\.path \S+ is not allowed: it is a named pipe \(FIFO\), not a regular file; name a regular file/,
    exit: 2,
    cliMessage: /pipe\.iso is a named pipe, not a file; source\.path must name a regular file/,
  },
  {
    name: 'upload of an OVF whose disk is a FIFO',
    kind: 'upload',
    via: 'temporal',
    setup: async (_w, d) => {
      await writeFile(join(d.inside, 'vm.ovf'), ovfDescriptor('vm', [{ name: 'disk.img', size: 0 }]));
      await mkfifo(join(d.inside, 'disk.img'));
    },
    input: (_w, d) => upload(d, { kind: 'ovf', path: join(d.inside, 'vm.ovf') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'vm.ovf')),
    type: 'PathNotAllowed',
    message: /disk\.img is not allowed: it is a named pipe \(FIFO\), not a regular file/,
    exit: 2,
    cliMessage:
      /disk\.img \(referenced by OVF descriptor \S+vm\.ovf\) is a named pipe, not a file; it must be a regular file/,
  },
  {
    name: 'upload of an OVF whose disk is a symlink out of the roots',
    kind: 'upload',
    via: 'raw',
    setup: async (_w, d) => {
      await writeFile(join(d.outside, 'shadow.img'), 'root:x:0:0\n');
      await writeFile(join(d.inside, 'vm.ovf'), ovfDescriptor('vm', [{ name: 'disk.img', size: 11 }]));
      await symlink(join(d.outside, 'shadow.img'), join(d.inside, 'disk.img'));
    },
    input: (_w, d) => upload(d, { kind: 'ovf', path: join(d.inside, 'vm.ovf') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'vm.ovf')),
    type: 'PathNotAllowed',
    message: /disk\.img is not allowed: it resolves to \S+shadow\.img, outside the worker's read roots/,
    exit: 1,
  },
  {
    name: 'upload of an OVF whose href climbs out with ..',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => {
      await writeFile(join(d.outside, 'x.img'), 'x');
      await writeFile(
        join(d.inside, 'vm.ovf'),
        ovfDescriptor('vm', [{ name: `../../outside/${d.outside.split('/').pop()}/x.img`, size: 1 }]),
      );
    },
    input: (_w, d) => upload(d, { kind: 'ovf', path: join(d.inside, 'vm.ovf') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'vm.ovf')),
    type: 'SourceError',
    message:
      /references "\.\.\/\.\.\/outside\S+x\.img", which is not a plain file name beside the descriptor[^\n]*fix the ovf:href/,
    exit: 2,
  },
  {
    name: 'upload of an OVA with a member named ../evil',
    kind: 'upload',
    via: 'raw',
    setup: async (_w, d) => {
      await makeOvfPackage(join(d.inside, 'pkg'), { name: 'vm', disks: [{ size: 1024 }], manifest: false });
      await packTar(join(d.inside, 'vm.ova'), [
        { name: 'vm.ovf', source: join(d.inside, 'pkg', 'vm.ovf') },
        { name: '../evil', content: 'evil' },
      ]);
    },
    input: (_w, d) => upload(d, { kind: 'ova', path: join(d.inside, 'vm.ova') }),
    cli: (w, d) => cliUpload(w, d, join(d.inside, 'vm.ova')),
    type: 'SourceError',
    message:
      /has member "\.\.\/evil", which [^\n]*an OVA's members must be plain files at the archive root, so repack it/,
    exit: 2,
  },
  {
    name: 'upload of a relative source path',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => upload(d, { kind: 'file', path: 'etc/passwd' }),
    // clo makes it absolute against its working directory (the repository), outside the roots.
    cli: (w, d) => cliUpload(w, d, 'package.json'),
    type: 'InvalidInput',
    message: zodRefusal('source.path', 'expected an absolute path on the worker host'),
    cliMessage: outsideRead('source.path'),
    exit: 1,
  },
  {
    name: 'upload of a path with a NUL byte',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => upload(d, { kind: 'file', path: `${d.inside}/a.iso\u0000/../../../etc/passwd` }),
    // Not with `..` here: clo resolves the argument first, which would take the NUL away with it.
    cli: (w, d) => cliUpload(w, d, `${d.inside}/a\u0000.iso`),
    type: 'InvalidInput',
    message: zodRefusal('source.path', 'expected a path without NUL characters'),
    exit: 2,
  },
  {
    name: 'upload of a path longer than PATH_MAX',
    kind: 'upload',
    via: 'client',
    input: (w, d) => upload(d, { kind: 'file', path: `${w.root}/${'a/'.repeat(PATH_MAX / 2)}x.iso` }),
    cli: (w, d) => cliUpload(w, d, `${w.root}/${'a/'.repeat(PATH_MAX / 2)}x.iso`),
    type: 'InvalidInputError',
    message: zodRefusal('source.path', 'expected a path of at most 4096 characters \\(PATH_MAX\\)'),
    exit: 2,
  },
  // --- download destinations --------------------------------------------------------------
  {
    name: 'download into a directory outside the roots (a cron.d)',
    kind: 'download',
    via: 'raw',
    input: (w, d) => download(w, join(d.outside, 'cron.d')),
    cli: (w, d) => cliDownload(w, join(d.outside, 'cron.d')),
    type: 'PathNotAllowed',
    message: outsideWrite('destination'),
    exit: 1,
  },
  {
    name: 'download through .. out of a root',
    kind: 'download',
    via: 'client',
    input: (w, d) => download(w, `${d.inside}/../../outside/${d.outside.split('/').pop()}/dl`),
    cli: (w, d) => cliDownload(w, `${d.inside}/../../outside/${d.outside.split('/').pop()}/dl`),
    type: 'PathNotAllowed',
    message: outsideWrite('destination'),
    exit: 1,
  },
  {
    name: 'download into a symlink in a root that points outside',
    kind: 'download',
    via: 'temporal',
    setup: async (_w, d) => symlink(d.outside, join(d.inside, 'dl')),
    input: (w, d) => download(w, join(d.inside, 'dl')),
    cli: (w, d) => cliDownload(w, join(d.inside, 'dl')),
    type: 'PathNotAllowed',
    message: /destination \S+ is not allowed: it resolves to \S+, outside the worker's write roots/,
    exit: 1,
  },
  {
    name: 'download through a dangling symlink to a place outside',
    kind: 'download',
    via: 'client',
    setup: async (_w, d) => symlink(join(d.outside, 'later'), join(d.inside, 'dl')),
    input: (w, d) => download(w, join(d.inside, 'dl', 'sub')),
    cli: (w, d) => cliDownload(w, join(d.inside, 'dl', 'sub')),
    type: 'PathNotAllowed',
    message: outsideWrite('destination'),
    exit: 1,
  },
  {
    name: 'download into /dev/shm',
    kind: 'download',
    via: 'raw',
    input: (w, d) => download(w, `/dev/shm/${d.item}`),
    cli: (w, d) => cliDownload(w, `/dev/shm/${d.item}`),
    type: 'PathNotAllowed',
    message: kernel('destination'),
    exit: 1,
  },
  {
    name: 'download into a FIFO inside a root',
    kind: 'download',
    via: 'client',
    setup: async (_w, d) => mkfifo(join(d.inside, 'dl')),
    input: (w, d) => download(w, join(d.inside, 'dl')),
    cli: (w, d) => cliDownload(w, join(d.inside, 'dl')),
    type: 'DestinationInvalid',
    message: /destination \S+ is not a directory/,
    exit: 1,
  },
  {
    name: 'download over a file symlinked out of the destination',
    kind: 'download',
    via: 'raw',
    setup: async (_w, d) => {
      await writeFile(join(d.outside, 'authorized_keys'), 'ssh-ed25519 AAAA\n');
      await symlink(join(d.outside, 'authorized_keys'), join(d.inside, 'data.bin'));
    },
    input: (w, d) => download(w, d.inside),
    cli: (w, d) => cliDownload(w, d.inside),
    type: 'PathNotAllowed',
    message:
      /data\.bin is not allowed: it is a symbolic link, not a regular file, and the worker never writes through one/,
    exit: 1,
  },
  {
    name: 'download with a relative destination',
    kind: 'download',
    via: 'raw',
    input: (w) => download(w, 'srv/images'),
    // clo makes it absolute against its working directory (the repository), outside the roots.
    cli: (w, d) => cliDownload(w, `clo-hostile-${d.item}`),
    type: 'InvalidInput',
    message: zodRefusal('destination', 'expected an absolute path on the worker host'),
    cliMessage: outsideWrite('destination'),
    exit: 1,
  },
  {
    name: 'download into a path with a NUL byte',
    kind: 'download',
    via: 'raw',
    input: (w, d) => download(w, `${d.inside}/x\u0000y`),
    cli: (w, d) => cliDownload(w, `${d.inside}/x\u0000y`),
    type: 'InvalidInput',
    message: zodRefusal('destination', 'expected a path without NUL characters'),
    exit: 2,
  },
  {
    name: 'download into a path longer than PATH_MAX',
    kind: 'download',
    via: 'client',
    input: (w, d) => download(w, `${d.inside}/${'d/'.repeat(PATH_MAX / 2)}`),
    cli: (w, d) => cliDownload(w, `${d.inside}/${'d/'.repeat(PATH_MAX / 2)}`),
    type: 'InvalidInputError',
    message: zodRefusal('destination', 'expected a path of at most 4096 characters \\(PATH_MAX\\)'),
    exit: 2,
  },
  {
    name: 'DIRECT download whose file:// endpoint is outside the roots',
    kind: 'download',
    via: 'client',
    // An existing destination: the endpoint is known only once a session is prepared, and
    // the destination is made before; what must not appear is any file in it.
    input: (w, d) => download(w, d.inside, { endpointType: 'DIRECT' }),
    cli: (w, d) => cliDownload(w, d.inside, '--direct'),
    type: 'PathNotAllowed',
    message: /DIRECT endpoint \S+ is not allowed: [^\n]*outside the worker's read roots/,
    exit: 1,
    sessionsAllowed: true,
  },
  // --- sync catalogs -----------------------------------------------------------------------
  {
    name: 'sync of a catalog outside the roots',
    kind: 'sync',
    via: 'client',
    setup: async (_w, d) => void (await writeRandomFile(join(d.outside, 'a.iso'), 1024, 'a')),
    input: (_w, d) => ({ source: { kind: 'catalog', path: d.outside } }),
    ownLibrary: true,
    cli: (_w, d) => [
      'sync',
      '--source',
      d.outside,
      '--library',
      d.library.name,
      '--vcenter',
      'sim',
      '--wait',
    ],
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 1,
  },
  {
    name: 'sync of /proc as a catalog',
    kind: 'sync',
    via: 'raw',
    input: () => ({ source: { kind: 'catalog', path: '/proc/self' } }),
    ownLibrary: true,
    cli: (_w, d) => [
      'sync',
      '--source',
      '/proc/self',
      '--library',
      d.library.name,
      '--vcenter',
      'sim',
      '--wait',
    ],
    type: 'PathNotAllowed',
    message: kernel('source.path'),
    exit: 1,
  },
];

describe('hostile inputs: paths', () => {
  const w = useHostileWorld();

  describe('each case', () => {
    catalogue(w, cases);
  });

  it('left no session on the server: none created but the DIRECT cases', () => {
    const direct = cases.filter((c) => c.sessionsAllowed).length;
    const sim = w.target.sim!;
    // seedItem's one update session; a DIRECT case's download session (API and clo), deleted again.
    expect(sim.stats.calls('updatesession.create')).toBe(1);
    expect(sim.stats.calls('downloadsession.create')).toBeLessThanOrEqual(2 * direct);
    expect(sessionCounts(w).live).toBe(0);
  });
});
