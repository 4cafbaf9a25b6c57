/**
 * Hostile-input catalogue, download destinations and sync catalogs (issue #11): destinations outside the
 * write roots by `..`, by symbolic links (dangling ones too) or by plain naming, /dev/shm, a FIFO,
 * a file in the destination that links out, DIRECT `file://` endpoints outside the read roots,
 * paths that are not paths, and sync catalogs outside the roots or under /proc. Each case goes through the client
 * API, a raw `client.workflow.start` or `temporal workflow start`, and through `clo`, and must
 * end in one error naming the field and the fix, with nothing created on the server and
 * nothing written on disk (test/support/hostile.ts).
 */
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomFile } from '../fixtures/content';
import { catalogue, useHostileWorld, zodRefusal, type HostileCase } from '../support/hostile';
import {
  mkfifo,
  PATH_MAX,
  outsideRead,
  outsideWrite,
  kernel,
  download,
  cliDownload,
  expectNothingLeft,
} from '../support/hostile-cases';

const cases: HostileCase[] = [
  // --- download destinations --------------------------------------------------------------
  {
    name: 'download into a directory outside the roots (a cron.d)',
    kind: 'download',
    via: 'raw',
    input: (w, d) => download(w, join(d.outside, 'cron.d')),
    cli: (w, d) => cliDownload(w, join(d.outside, 'cron.d')),
    type: 'PathNotAllowed',
    message: outsideWrite('destination'),
    exit: 5,
  },
  {
    name: 'download through .. out of a root',
    kind: 'download',
    via: 'client',
    input: (w, d) => download(w, `${d.inside}/../../outside/${d.outside.split('/').pop()}/dl`),
    cli: (w, d) => cliDownload(w, `${d.inside}/../../outside/${d.outside.split('/').pop()}/dl`),
    type: 'PathNotAllowed',
    message: outsideWrite('destination'),
    exit: 5,
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
    exit: 5,
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
    exit: 5,
  },
  {
    name: 'download into /dev/shm',
    kind: 'download',
    via: 'raw',
    input: (w, d) => download(w, `/dev/shm/${d.item}`),
    cli: (w, d) => cliDownload(w, `/dev/shm/${d.item}`),
    type: 'PathNotAllowed',
    message: kernel('destination'),
    exit: 5,
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
    exit: 2,
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
    exit: 5,
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
    exit: 5,
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
    exit: 5,
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
    exit: 5,
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
    exit: 5,
  },
];

describe('hostile inputs: download destinations and sync catalogs', () => {
  const w = useHostileWorld();

  describe('each case', () => {
    catalogue(w, cases);
  });

  it("left nothing on the server: no session but the DIRECT cases' (API and clo), each deleted again", () =>
    expectNothingLeft(w, 2 * cases.filter((c) => c.sessionsAllowed).length));
});
