import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { planSource } from '../../../activities/sources';
import { writeRandomFile } from '../../fixtures/content';
import { rejectionOf, useScratchDir } from './helpers';

const scratch = useScratchDir('single');

describe('planSource for a single file', () => {
  it('plans the whole file under its own name, as a generic item', async () => {
    const f = await writeRandomFile(join(scratch(), 'notes.bin'), 12_345, 1);
    const plan = await planSource({ kind: 'file', path: f.path });
    expect(plan).toEqual({
      kind: 'file',
      itemType: 'file',
      displayName: 'notes.bin',
      files: [
        {
          name: 'notes.bin',
          size: 12_345,
          origin: { kind: 'file', path: f.path, offset: 0, length: 12_345 },
        },
      ],
      totalBytes: 12_345,
    });
  });

  it('suggests an iso item for a .ISO file, case-insensitively', async () => {
    const f = await writeRandomFile(join(scratch(), 'Photon.ISO'), 2048, 2);
    const plan = await planSource({ kind: 'file', path: f.path });
    expect(plan.itemType).toBe('iso');
  });

  it('uses source.name as the item file name and derives the item type from it', async () => {
    const f = await writeRandomFile(join(scratch(), 'upload.tmp'), 100, 3);
    const plan = await planSource({ kind: 'file', path: f.path, name: 'photon-5.0.iso' });
    expect(plan.files[0]?.name).toBe('photon-5.0.iso');
    expect(plan.itemType).toBe('iso');
  });

  it('rejects a source.name that is not a single file name', async () => {
    const f = await writeRandomFile(join(scratch(), 'x.bin'), 10, 4);
    const err = await rejectionOf(planSource({ kind: 'file', path: f.path, name: '../x.iso' }));
    expect(err).toMatchObject({ name: 'SourceError', code: 'NAME_INVALID', retryable: false });
    expect(err.message).toContain('source.name "../x.iso"');
  });

  it('rejects a missing file, naming the path', async () => {
    const path = join(scratch(), 'a.iso');
    const err = await rejectionOf(planSource({ kind: 'file', path }));
    expect(err).toMatchObject({ name: 'SourceError', code: 'SOURCE_NOT_FOUND', path, retryable: false });
    expect(err.message).toContain(`${path} does not exist`);
  });

  it('rejects a path under a regular file as missing', async () => {
    const f = await writeRandomFile(join(scratch(), 'plain'), 1, 5);
    const err = await rejectionOf(planSource({ kind: 'file', path: join(f.path, 'inner.iso') }));
    expect(err.code).toBe('SOURCE_NOT_FOUND');
  });

  it('rejects a directory', async () => {
    const path = join(scratch(), 'a-dir.iso');
    await mkdir(path);
    const err = await rejectionOf(planSource({ kind: 'file', path }));
    expect(err).toMatchObject({ code: 'SOURCE_NOT_A_FILE', path });
    expect(err.message).toContain(`${path} is a directory, not a file`);
  });

  it('rejects a file the worker cannot read (EACCES)', async () => {
    // chmod 000 only bites a non-root user. Under root (as in CI containers), run the planner
    // in a child process as `nobody`, so the check meets a real EACCES rather than a mock.
    // Only the file may be off-limits: mkdtemp makes the scratch directory 0700, and an
    // EACCES from stat() on the way there would pass this test for the wrong reason.
    await chmod(scratch(), 0o755);
    const dir = join(scratch(), 'locked');
    await mkdir(dir);
    await chmod(dir, 0o755);
    const path = join(dir, 'a.iso');
    await writeFile(path, 'secret');
    await chmod(path, 0o000);

    if (process.getuid?.() !== 0) {
      const err = await rejectionOf(planSource({ kind: 'file', path }));
      expect(err).toMatchObject({ code: 'SOURCE_UNREADABLE', path });
      expect(err.message).toContain(`${path} is not readable (EACCES)`);
      return;
    }
    const root = resolve(__dirname, '../../..');
    const script = `require(${JSON.stringify(join(root, 'activities/sources'))})
      .planSource({ kind: 'file', path: ${JSON.stringify(path)} })
      .then((p) => console.log(JSON.stringify({ resolved: p })),
            (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      uid: 65534,
      gid: 65534,
      cwd: root,
      env: { ...process.env, HOME: scratch() },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    const err = JSON.parse(child.stdout) as { name?: string; code?: string; message?: string };
    expect(err).toMatchObject({ name: 'SourceError', code: 'SOURCE_UNREADABLE' });
    expect(err.message).toContain(`${path} is not readable (EACCES)`);
  });
});
