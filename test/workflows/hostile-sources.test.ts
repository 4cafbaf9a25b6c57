/**
 * Hostile-input catalogue, upload sources (issue #11): sources that leave the worker's read roots by `..`,
 * by symbolic links (of the file, of a directory, of a file an OVF references) or by plain naming,
 * kernel and device files, FIFOs, unsafe OVF references and OVA members, and paths that are not
 * paths (relative, with a NUL, longer than PATH_MAX). Each case goes through the client
 * API, a raw `client.workflow.start` or `temporal workflow start`, and through `clo`, and must
 * end in one error naming the field and the fix, with nothing created on the server and
 * nothing written on disk (test/support/hostile.ts).
 */
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeOvfPackage, ovfDescriptor, packTar } from '../fixtures/content';
import { catalogue, useHostileWorld, zodRefusal, type HostileCase } from '../support/hostile';
import {
  mkfifo,
  mknodZero,
  PATH_MAX,
  outsideRead,
  kernel,
  upload,
  cliUpload,
  expectNothingLeft,
} from '../support/hostile-cases';

const cases: HostileCase[] = [
  // --- upload sources outside the roots ---------------------------------------------------
  {
    name: 'upload of /etc/passwd',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => upload(d, { kind: 'file', path: '/etc/passwd' }),
    cli: (w, d) => cliUpload(d, '/etc/passwd'),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 5,
  },
  {
    name: 'upload of the vCenter password file beside the roots',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => writeFile(join(d.outside, 'vc-password'), 'hunter2\n'),
    input: (_w, d) => upload(d, { kind: 'file', path: join(d.outside, 'vc-password') }),
    cli: (w, d) => cliUpload(d, join(d.outside, 'vc-password')),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 5,
  },
  {
    name: 'upload through .. out of a root',
    kind: 'upload',
    via: 'client',
    setup: async (_w, d) => writeFile(join(d.outside, 'secret.iso'), 'secret'),
    input: (_w, d) =>
      upload(d, { kind: 'file', path: `${d.inside}/../../outside/${d.outside.split('/').pop()}/secret.iso` }),
    cli: (w, d) => cliUpload(d, `${d.inside}/../../outside/${d.outside.split('/').pop()}/secret.iso`),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 5,
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
    cli: (w, d) => cliUpload(d, join(d.inside, 'innocent.iso')),
    type: 'PathNotAllowed',
    message:
      /source\.path \S+ is not allowed: it resolves to \S+secret\.iso, outside the worker's read roots/,
    exit: 5,
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
    cli: (w, d) => cliUpload(d, join(d.inside, 'share', 'secret.iso')),
    type: 'PathNotAllowed',
    message: outsideRead('source.path'),
    exit: 5,
  },
  {
    name: 'upload of /proc/self/environ',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => upload(d, { kind: 'file', path: '/proc/self/environ' }),
    cli: (w, d) => cliUpload(d, '/proc/self/environ'),
    type: 'PathNotAllowed',
    message: kernel('source.path'),
    exit: 5,
  },
  {
    name: 'upload of /dev/zero',
    kind: 'upload',
    via: 'client',
    input: (_w, d) => upload(d, { kind: 'file', path: '/dev/zero' }),
    cli: (w, d) => cliUpload(d, '/dev/zero'),
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
    setup: async (_w, d) => mknodZero(join(d.inside, 'zero.iso')),
    input: (_w, d) => upload(d, { kind: 'file', path: join(d.inside, 'zero.iso') }),
    cli: (w, d) => cliUpload(d, join(d.inside, 'zero.iso')),
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
    cli: (w, d) => cliUpload(d, join(d.inside, 'pipe.iso')),
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
    cli: (w, d) => cliUpload(d, join(d.inside, 'vm.ovf')),
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
    cli: (w, d) => cliUpload(d, join(d.inside, 'vm.ovf')),
    type: 'PathNotAllowed',
    message: /disk\.img is not allowed: it resolves to \S+shadow\.img, outside the worker's read roots/,
    exit: 5,
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
    cli: (w, d) => cliUpload(d, join(d.inside, 'vm.ovf')),
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
    cli: (w, d) => cliUpload(d, join(d.inside, 'vm.ova')),
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
    cli: (w, d) => cliUpload(d, 'package.json'),
    type: 'InvalidInput',
    message: zodRefusal('source.path', 'expected an absolute path on the worker host'),
    cliMessage: outsideRead('source.path'),
    exit: 5,
  },
  {
    name: 'upload of a path with a NUL byte',
    kind: 'upload',
    via: 'raw',
    input: (_w, d) => upload(d, { kind: 'file', path: `${d.inside}/a.iso\u0000/../../../etc/passwd` }),
    // Not with `..` here: clo resolves the argument first, which would take the NUL away with it.
    cli: (w, d) => cliUpload(d, `${d.inside}/a\u0000.iso`),
    type: 'InvalidInput',
    message: zodRefusal('source.path', 'expected a path without NUL characters'),
    exit: 2,
  },
  {
    name: 'upload of a path longer than PATH_MAX',
    kind: 'upload',
    via: 'client',
    input: (w, d) => upload(d, { kind: 'file', path: `${w.root}/${'a/'.repeat(PATH_MAX / 2)}x.iso` }),
    cli: (w, d) => cliUpload(d, `${w.root}/${'a/'.repeat(PATH_MAX / 2)}x.iso`),
    type: 'InvalidInputError',
    message: zodRefusal('source.path', 'expected a path of at most 4096 characters \\(PATH_MAX\\)'),
    exit: 2,
  },
];

describe('hostile inputs: upload sources', () => {
  const w = useHostileWorld();

  describe('each case', () => {
    catalogue(w, cases);
  });

  it('left nothing on the server', () => expectNothingLeft(w));
});
