/**
 * A worker reads and writes only under its roots (worker.readRoots / worker.writeRoots), and
 * the check is the activity's: an upload, download or sync that names a path outside them fails
 * with PathNotAllowed before anything exists on the server (no item, no session) or on disk.
 * Against the simulator, which counts every create call.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload, type DownloadInput } from '../../client/download';
import { startSync } from '../../client/sync';
import { startUpload, type UploadInput } from '../../client/upload';
import { makeOvfPackage, writeContentFile, writeRandomFile } from '../fixtures/content';
import { failureOf, listDir } from '../support/download';
import { createTestLibrary, restClient } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe('allowed roots', () => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let base: string;
  /** The worker's one read root, its one write root, and a directory in neither. */
  let readRoot: string;
  let writeRoot: string;
  let outside: string;
  let itemId: string;

  beforeAll(async () => {
    target = await startTarget('simulator');
    base = await mkdtemp(join(tmpdir(), 'clo-roots-'));
    [readRoot, writeRoot, outside] = [join(base, 'in'), join(base, 'out'), join(base, 'outside')];
    for (const dir of [readRoot, writeRoot, outside]) await mkdir(dir);
    const config = testConfig({ target: { url: target.url, username: 'user', password: 'pass' } });
    config.worker.readRoots = [readRoot];
    config.worker.writeRoots = [writeRoot];
    worker = await startTestWorker(config);
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore, 'roots');
    // Inside the roots everything works as before: the item the download cases ask for.
    const file = await writeRandomFile(join(readRoot, 'data.bin'), 64 * 1024, 'roots');
    itemId = (
      await (await upload({ item: { name: 'inside' }, source: { kind: 'file', path: file.path } })).result()
    ).itemId;
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await target?.close();
    if (base) await rm(base, { recursive: true, force: true });
  });

  async function upload(input: Omit<UploadInput, 'vcenter' | 'library'>) {
    return await startUpload(
      worker.client,
      { vcenter: 'target', library: { id: library.id }, ...input },
      { taskQueue: worker.taskQueue },
    );
  }
  const download = async (input: Partial<DownloadInput> & { destination: string }) =>
    await startDownload(
      worker.client,
      { vcenter: 'target', library: { id: library.id }, item: { id: itemId }, ...input },
      { taskQueue: worker.taskQueue },
    );
  /** What the server has been asked to create so far. */
  const creates = () => ({
    items: target.sim!.stats.calls('item.create'),
    updateSessions: target.sim!.stats.calls('updatesession.create'),
    downloadSessions: target.sim!.stats.calls('downloadsession.create'),
  });
  /** The failure of a saga that must fail, and that it created nothing on the server. */
  const refused = async (start: () => Promise<{ result(): Promise<unknown> }>) => {
    const before = creates();
    const failure = failureOf(await (await start()).result().catch((e: unknown) => e));
    expect(creates()).toEqual(before);
    return failure;
  };

  describe('uploads', () => {
    it('refuses a source outside the read roots, creating no item and no session', async () => {
      const secret = await writeContentFile(join(outside, 'secret.iso'), 'not for the library');
      const failure = await refused(() =>
        upload({ item: { name: 'outside' }, source: { kind: 'file', path: secret.path } }),
      );
      expect(failure.type).toBe('PathNotAllowed');
      expect(failure.message).toBe(
        `source.path ${secret.path} is not allowed: outside the worker's read roots (${readRoot}); ` +
          'use a path under one of them, or add its directory to CLO_READ_ROOTS (worker.readRoots) on the worker',
      );
      expect(await rest.findLibraryItems({ library_id: library.id, name: 'outside' })).toEqual([]);
    });

    it('refuses a link inside a read root that points outside it', async () => {
      const secret = await writeContentFile(join(outside, 'shadow'), 'root:*:19000:0:99999:7:::');
      const link = join(readRoot, 'innocent.iso');
      await symlink(secret.path, link);
      const failure = await refused(() =>
        upload({ item: { name: 'linked' }, source: { kind: 'file', path: link } }),
      );
      expect(failure.type).toBe('PathNotAllowed');
      expect(failure.message).toContain(
        `source.path ${link} is not allowed: it resolves to ${secret.path}, outside`,
      );
    });

    it('refuses .. out of a root even from a client that does not normalize the path', async () => {
      const secret = await writeContentFile(join(outside, 'dotdot.iso'), 'escape');
      // The workflow started as `temporal workflow start` or an older client would: no client-side checks.
      const start = () =>
        worker.client.workflow.start('uploadLibraryItem', {
          taskQueue: worker.taskQueue,
          workflowId: `roots-dotdot-${randomUUID()}`,
          args: [
            {
              vcenter: 'target',
              library: { id: library.id },
              item: { name: 'dotdot' },
              source: { kind: 'file', path: `${readRoot}/../outside/dotdot.iso` },
            },
          ],
        });
      const failure = await refused(start);
      expect(failure.type).toBe('PathNotAllowed');
      expect(failure.message).toContain(`it resolves to ${secret.path}, outside the worker's read roots`);
    });

    it('refuses /proc/self/environ and a FIFO, neither of which is content', async () => {
      const environ = await refused(() =>
        upload({ item: { name: 'environ' }, source: { kind: 'file', path: '/proc/self/environ' } }),
      );
      expect(environ.type).toBe('PathNotAllowed');
      expect(environ.message).toContain('under /proc, which holds kernel and device files');
      const fifo = join(readRoot, 'pipe.iso');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const pipe = await refused(() =>
        upload({ item: { name: 'pipe' }, source: { kind: 'file', path: fifo } }),
      );
      expect(pipe.type).toBe('PathNotAllowed');
      expect(pipe.message).toContain(
        `source.path ${fifo} is not allowed: it is a named pipe (FIFO), not a regular file`,
      );
    });

    it('refuses an OVF in a read root whose disk is a link out of it', async () => {
      const pkg = await makeOvfPackage(join(readRoot, 'pkg'), {
        name: 'leaky',
        disks: [{ size: 4096 }],
        manifest: false,
      });
      const disk = pkg.disks[0]!;
      const real = await writeRandomFile(join(outside, 'disk.img'), 4096, 'outside disk');
      await rm(disk.path);
      await symlink(real.path, disk.path);
      const failure = await refused(() =>
        upload({ item: { name: 'leaky' }, source: { kind: 'ovf', path: pkg.descriptorPath } }),
      );
      expect(failure.type).toBe('PathNotAllowed');
      expect(failure.message).toContain(
        `file ${disk.name} referenced by the OVF descriptor (source.path) ${disk.path} is not allowed`,
      );
    });
  });

  describe('downloads', () => {
    it('refuses a destination outside the write roots before creating a session or the directory', async () => {
      const destination = join(outside, 'cron.d');
      const failure = await refused(() => download({ destination }));
      expect(failure.type).toBe('PathNotAllowed');
      expect(failure.message).toBe(
        `destination ${destination} is not allowed: outside the worker's write roots (${writeRoot}); ` +
          'use a path under one of them, or add its directory to CLO_WRITE_ROOTS (worker.writeRoots) on the worker',
      );
      expect(await listDir(outside)).not.toContain('cron.d');
    });

    it('refuses, with overwrite, a file outside the write roots and a link in the destination that leads out', async () => {
      const victim = await writeContentFile(join(outside, 'data.bin'), 'precious');
      const direct = await refused(() => download({ destination: outside, overwrite: true }));
      expect(direct.type).toBe('PathNotAllowed');

      const destination = join(writeRoot, 'dl');
      await mkdir(destination);
      await symlink(victim.path, join(destination, 'data.bin'));
      const viaLink = await refused(() => download({ destination, overwrite: true }));
      expect(viaLink.type).toBe('PathNotAllowed');
      expect(viaLink.message).toBe(
        `destination ${join(destination, 'data.bin')} is not allowed: it is a symbolic link, not a regular file, ` +
          'and the worker never writes through one; remove it or choose another destination',
      );
      expect(await readFile(victim.path, 'utf8')).toBe('precious');
      expect(await listDir(destination)).toEqual(['data.bin']);
    });

    it('refuses a destination to be made under a link in a write root that leads out', async () => {
      await symlink(outside, join(writeRoot, 'escape'));
      const failure = await refused(() => download({ destination: join(writeRoot, 'escape', 'new') }));
      expect(failure.type).toBe('PathNotAllowed');
      expect(failure.message).toContain(
        `it resolves to ${join(outside, 'new')}, outside the worker's write roots`,
      );
      expect(await listDir(outside)).not.toContain('new');
    });

    it('still downloads into a write root', async () => {
      const destination = join(writeRoot, 'ok');
      const result = await (await download({ destination })).result();
      expect(result.files.map((f) => f.name)).toEqual(['data.bin']);
    });
  });

  it('refuses to sync a catalog outside the read roots', async () => {
    await mkdir(join(outside, 'catalog'));
    await writeRandomFile(join(outside, 'catalog', 'photon.iso'), 1024, 'catalog');
    const failure = await refused(() =>
      startSync(
        worker.client,
        {
          vcenter: 'target',
          library: { id: library.id },
          source: { kind: 'catalog', path: join(outside, 'catalog') },
        },
        { taskQueue: worker.taskQueue },
      ),
    );
    expect(failure.type).toBe('PathNotAllowed');
    expect(failure.message).toContain(`source.path ${join(outside, 'catalog')} is not allowed`);
  });
});
