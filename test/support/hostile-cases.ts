/**
 * What the hostile-input catalogue's case tables share (test/workflows/hostile-*.test.ts):
 * inputs and clo arguments for uploads, downloads and syncs, the refusals each category
 * expects, and the end-of-file check that nothing was left on the server.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeRandomFile } from '../fixtures/content';
import type { CaseDirs, HostileWorld } from './hostile';

const run = promisify(execFile);

/** Makes a named pipe (opening one for reading blocks until a writer comes: a classic hang). */
export const mkfifo = async (path: string) => void (await run('mkfifo', [path]));

/** Makes a character device (as root: the test stack runs as root) with the numbers of /dev/zero. */
export const mknodZero = async (path: string) => void (await run('mknod', [path, 'c', '1', '5']));

/** `<d.inside>/a.iso`, 1 KiB: a valid source for cases about something else. */
export const iso = async (d: CaseDirs) => void (await writeRandomFile(join(d.inside, 'a.iso'), 1024, 'a'));

export const PATH_MAX = 4096;

const esc = (field: string) => field.replace(/\./g, '\\.');

/** A refusal of `field` for leaving the read roots, saying how to allow it. */
export const outsideRead = (field: string) =>
  new RegExp(
    `${esc(field)} \\S+ is not allowed: [^\\n]*outside the worker's read roots[^\\n]*CLO_READ_ROOTS`,
  );
/** A refusal of `field` for leaving the write roots, saying how to allow it. */
export const outsideWrite = (field: string) =>
  new RegExp(
    `${esc(field)} \\S+ is not allowed: [^\\n]*outside the worker's write roots[^\\n]*CLO_WRITE_ROOTS`,
  );
/** A refusal of a kernel or device path. */
export const kernel = (field: string) =>
  new RegExp(
    `${esc(field)} \\S+ is not allowed: [^\\n]*under /(proc|dev|sys), which holds kernel and device files`,
  );

/** A URL refusal that names the field and the fix, and shows the URL with the secret redacted. */
export const credentials =
  /source\.url carries credentials \([^)]*\): [^\n]*\[REDACTED\][\s\S]*upload it as a file source/;
/** A plain-http refusal that says how to allow it (`flag`). */
export const plainHttp = (flag: string) =>
  new RegExp(`source\\.url is plain http [\\s\\S]*Serve it over https[\\s\\S]*${flag}`);

/** An upload input of `source` into the case's item. */
export const upload = (d: CaseDirs, source: Record<string, unknown>) => ({ item: { name: d.item }, source });

/** `clo upload <arg>` into the case's item, waiting for the end. */
export const cliUpload = (d: CaseDirs, arg: string, ...extra: string[]) => [
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

/** A download input of the world's seeded item into `destination`, overwriting. */
export const download = (w: HostileWorld, destination: string, extra: Record<string, unknown> = {}) => ({
  item: { name: w.seeded.name },
  destination,
  overwrite: true,
  ...extra,
});

/** `clo download` of the seeded item into `dest`, overwriting, waiting for the end. */
export const cliDownload = (w: HostileWorld, dest: string, ...extra: string[]) => [
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

/** `clo sync --source <source>` into the case's library, waiting for the end. */
export const cliSync = (d: CaseDirs, source: string) => [
  'sync',
  '--source',
  source,
  '--library',
  d.library.name,
  '--vcenter',
  'sim',
  '--wait',
];

/** The same clo arguments against another configured vCenter. */
export const withVCenter = (args: string[], vcenter: string) => args.map((a) => (a === 'sim' ? vcenter : a));

/**
 * After a file's cases: the simulator created no update session but the seed's, at most
 * `downloadSessions` download sessions (DIRECT cases, whose endpoint only a session can name),
 * and none is left open.
 */
export function expectNothingLeft(w: HostileWorld, downloadSessions = 0): void {
  const sim = w.target.sim!;
  expect(sim.stats.calls('updatesession.create')).toBe(1);
  expect(sim.stats.calls('downloadsession.create')).toBeLessThanOrEqual(downloadSessions);
  const open = sim.stats
    .sessions()
    .filter((s) => s.ended === undefined && !(s.kind === 'update' && s.library_item_id === w.seeded.id));
  expect(open).toEqual([]);
}
