/**
 * The worker's allowed roots (activities/allowed-paths.ts): every path an activity opens is
 * resolved (links, `..`) and must then lie under a root, be no kernel or device file, and be
 * the kind of file expected. Real files, links and a FIFO in a scratch directory.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AllowedPaths, resolvePath } from '../../activities/allowed-paths';
import { planActivities } from '../../activities/plan-upload';
import { loadConfig, type ConfigError } from '../../temporal.config';
import { makeOvfPackage, writeRandomFile } from '../fixtures/content';
import { rejectionOf, useScratchDir } from './sources/helpers';

const scratch = useScratchDir('allowed');

/** `<scratch>/root` (the only root), `<scratch>/outside` beside it, a file in each. */
async function layout() {
  const root = join(scratch(), 'root');
  const outside = join(scratch(), 'outside');
  await mkdir(root, { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(root, 'ok.iso'), 'inside');
  await writeFile(join(outside, 'secret'), 'outside');
  return {
    root,
    outside,
    allowed: new AllowedPaths({ readRoots: [root], writeRoots: [root] }),
  };
}

describe('allowed roots', () => {
  it('reads a regular file under a root and returns its real path', async () => {
    const { root, allowed } = await layout();
    await expect(allowed.checkReadFile(join(root, 'ok.iso'), 'source.path')).resolves.toEqual({
      real: join(root, 'ok.iso'),
      exists: true,
    });
  });

  it('refuses a symbolic link inside a root that points outside it', async () => {
    const { root, outside, allowed } = await layout();
    await symlink(join(outside, 'secret'), join(root, 'escape.iso'));
    const err = await rejectionOf(allowed.checkReadFile(join(root, 'escape.iso'), 'source.path'));
    expect(err).toMatchObject({ name: 'PathNotAllowed', retryable: false });
    expect(err.message).toBe(
      `source.path ${join(root, 'escape.iso')} is not allowed: it resolves to ${join(outside, 'secret')}, ` +
        `outside the worker's read roots (${root}); use a path under one of them, or add its directory ` +
        'to CLO_READ_ROOTS (worker.readRoots) on the worker',
    );
  });

  it('resolves .. before comparing: out of the root is refused, back into it is fine', async () => {
    const { root, allowed } = await layout();
    const err = await rejectionOf(allowed.checkReadFile(`${root}/../outside/secret`, 'source.path'));
    expect(err.name).toBe('PathNotAllowed');
    expect(err.message).toContain("outside the worker's read roots");
    await mkdir(join(root, 'sub'), { recursive: true });
    await expect(allowed.checkReadFile(`${root}/sub/../ok.iso`, 'source.path')).resolves.toMatchObject({
      real: join(root, 'ok.iso'),
    });
  });

  it('refuses /proc, /sys and /dev even under a root of /', async () => {
    const everything = new AllowedPaths({ readRoots: ['/'], writeRoots: ['/'] });
    const environ = await rejectionOf(everything.checkReadFile('/proc/self/environ', 'source.path'));
    expect(environ.name).toBe('PathNotAllowed');
    expect(environ.message).toMatch(
      /^source\.path \/proc\/self\/environ is not allowed: it resolves to \/proc\/\d+\/environ, under \/proc, which holds kernel and device files, not content/,
    );
    const devNull = await rejectionOf(everything.checkReadFile('/dev/null', 'source.path'));
    expect(devNull.message).toContain('/dev/null is not allowed: under /dev');
    const sys = await rejectionOf(everything.checkWriteDirectory('/sys/kernel', 'destination'));
    expect(sys.message).toContain('under /sys');
  });

  it('refuses a FIFO without opening it (opening one would block)', async () => {
    const { root, allowed } = await layout();
    const fifo = join(root, 'pipe.iso');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const err = await rejectionOf(allowed.checkReadFile(fifo, 'source.path'));
    expect(err).toMatchObject({ name: 'PathNotAllowed' });
    expect(err.message).toBe(
      `source.path ${fifo} is not allowed: it is a named pipe (FIFO), not a regular file; name a regular file`,
    );
  });

  it('refuses a directory where a file is expected, and a file where a directory is', async () => {
    const { root, allowed } = await layout();
    const dir = await rejectionOf(allowed.checkReadFile(root, 'source.path'));
    expect(dir.message).toContain('it is a directory, not a regular file');
    const file = await rejectionOf(allowed.checkReadDirectory(join(root, 'ok.iso'), 'source.path'));
    expect(file.message).toContain('it is a regular file, not a directory');
  });

  it('lets a missing path under a root through (the caller says "not found"), but not one outside', async () => {
    const { root, outside, allowed } = await layout();
    await expect(allowed.checkReadFile(join(root, 'nope', 'x.iso'), 'source.path')).resolves.toEqual({
      real: join(root, 'nope', 'x.iso'),
      exists: false,
    });
    const err = await rejectionOf(allowed.checkReadFile(join(outside, 'nope.iso'), 'source.path'));
    expect(err.name).toBe('PathNotAllowed');
  });

  it('with no roots configured, refuses every read and write with one message that says how to configure them', async () => {
    const { root } = await layout();
    const none = new AllowedPaths();
    const read = await rejectionOf(none.checkReadFile(join(root, 'ok.iso'), 'source.path'));
    expect(read.message).toBe(
      `source.path ${join(root, 'ok.iso')} is not allowed: this worker has no read roots configured, so it reads no files; ` +
        "set CLO_READ_ROOTS (absolute directories separated by ':', like PATH) or worker.readRoots in the worker's config file to the directories it may read",
    );
    const write = await rejectionOf(none.checkWriteDirectory(join(root, 'dl'), 'destination'));
    expect(write.message).toContain(
      'this worker has no write roots configured, so it writes no files; set CLO_WRITE_ROOTS',
    );
    expect(write.message).toContain('worker.writeRoots');
  });

  it('refuses a destination to be created under a parent that is a link out of the roots', async () => {
    const { root, outside, allowed } = await layout();
    await symlink(outside, join(root, 'cron.d'));
    const err = await rejectionOf(
      allowed.checkWriteDirectory(join(root, 'cron.d', 'new', 'deeper'), 'destination'),
    );
    expect(err.name).toBe('PathNotAllowed');
    expect(err.message).toContain(
      `it resolves to ${join(outside, 'new', 'deeper')}, outside the worker's write roots`,
    );
    // A dangling link counts where it points, though that does not exist yet.
    await symlink(join(outside, 'not-yet'), join(root, 'dangling'));
    expect((await resolvePath(join(root, 'dangling', 'x'))).real).toBe(join(outside, 'not-yet', 'x'));
    await expect(allowed.checkWriteDirectory(join(root, 'dangling'), 'destination')).rejects.toMatchObject({
      name: 'PathNotAllowed',
    });
    await expect(allowed.checkWriteDirectory(join(root, 'a', 'b'), 'destination')).resolves.toEqual({
      real: join(root, 'a', 'b'),
      exists: false,
    });
  });

  it('follows a root that is itself a link', async () => {
    const { root } = await layout();
    const alias = join(scratch(), 'alias');
    await rm(alias, { force: true });
    await symlink(root, alias);
    const viaAlias = new AllowedPaths({ readRoots: [alias] });
    await expect(viaAlias.checkReadFile(join(root, 'ok.iso'), 'source.path')).resolves.toMatchObject({
      exists: true,
    });
  });

  it('planning refuses an OVF whose referenced disk is a link out of the roots, before reading it', async () => {
    const { root, outside, allowed } = await layout();
    const pkg = await makeOvfPackage(join(root, 'pkg'), {
      name: 'photon',
      disks: [{ size: 1024 }],
      manifest: false,
    });
    const disk = pkg.disks[0]!;
    const real = await writeRandomFile(join(outside, 'disk.img'), 1024, 'outside');
    await rm(disk.path);
    await symlink(real.path, disk.path);
    const err = await rejectionOf(
      planActivities(undefined, allowed).planUpload({ kind: 'ovf', path: pkg.descriptorPath }),
    );
    expect(err.name).toBe('PathNotAllowed');
    expect(err.message).toContain(
      `file ${disk.name} referenced by the OVF descriptor (source.path) ${disk.path} is not allowed`,
    );
    // The same package with the disk inside the root plans.
    await rm(disk.path);
    await writeRandomFile(disk.path, 1024, 'photon/0');
    const plan = await planActivities(undefined, allowed).planUpload({
      kind: 'ovf',
      path: pkg.descriptorPath,
    });
    expect(plan.files.map((f) => f.name)).toEqual(['photon.ovf', disk.name]);
  });

  it('writes nothing while checking a destination', async () => {
    const { root, allowed } = await layout();
    const before = await readdir(root);
    await allowed.checkWriteDirectory(join(root, 'will', 'be', 'made'), 'destination');
    expect(await readdir(root)).toEqual(before);
  });
});

describe('roots in the configuration', () => {
  const base = {
    CLO_VCENTER_LAB_URL: 'https://vc.example.com',
    CLO_VCENTER_LAB_USERNAME: 'u',
    CLO_VCENTER_LAB_PASSWORD: 'p',
  };

  it('reads CLO_READ_ROOTS and CLO_WRITE_ROOTS as colon-separated lists, like PATH; none by default', () => {
    const config = loadConfig({
      ...base,
      CLO_READ_ROOTS: '/srv/images:/mnt/catalog:',
      CLO_WRITE_ROOTS: '/srv/downloads',
    });
    expect(config.worker.readRoots).toEqual(['/srv/images', '/mnt/catalog']);
    expect(config.worker.writeRoots).toEqual(['/srv/downloads']);
    const none = loadConfig(base);
    expect(none.worker.readRoots).toBeUndefined();
    expect(none.worker.writeRoots).toBeUndefined();
  });

  it('reads roots from the config file as JSON arrays, the variables winning', async () => {
    const file = join(scratch(), 'clo.json');
    await writeFile(
      file,
      JSON.stringify({ worker: { readRoots: ['/srv/a', '/srv/b'], writeRoots: ['/srv/w'] } }),
    );
    const config = loadConfig({ ...base, CLO_CONFIG_FILE: file, CLO_WRITE_ROOTS: '/srv/x' });
    expect(config.worker.readRoots).toEqual(['/srv/a', '/srv/b']);
    expect(config.worker.writeRoots).toEqual(['/srv/x']);
  });

  it('refuses a relative root with a message that names the variable', () => {
    let err: unknown;
    try {
      loadConfig({ ...base, CLO_WRITE_ROOTS: '/srv/downloads:downloads' });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).name).toBe('ConfigError');
    expect((err as ConfigError).message).toContain(
      `CLO_WRITE_ROOTS: expected absolute directories (CLO_WRITE_ROOTS: separated by ':', like PATH), got "downloads"`,
    );
  });
});
