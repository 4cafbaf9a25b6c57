/**
 * The same download run again into the same directory, through the real saga: the files
 * already there that are the server's (size and checksum) are kept, the rest fetched, and
 * no `overwrite` is needed. On the simulator the first run fails after some files were
 * renamed into place (a wrong checksum on one file); on vcsim, which reports no checksums,
 * the kept files are fetched again and compared byte for byte instead.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload, type DownloadInput } from '../../client/download';
import type { DownloadResult } from '../../workflows/definitions/download';
import { failureOf, listDir, liveDownloadSessions, sha1OfFile } from '../support/download';
import { createTestLibrary, restClient, seedItem } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const KiB = 1024;
const FILES = [
  { name: 'a.bin', size: 1024 * KiB + 1, seed: 'rerun-a' },
  { name: 'b.bin', size: 700 * KiB, seed: 'rerun-b' },
  { name: 'c.bin', size: 1536 * KiB + 3, seed: 'rerun-c' },
];
const NAMES = FILES.map((f) => f.name);

describe.each(['simulator', 'vcsim'] as const)(
  'downloadLibraryItem run again into the same directory on %s',
  (targetName) => {
    let target: Target;
    let worker: TestWorker;
    let rest: ContentLibraryClient;
    let library: { id: string; name: string };
    let dir: string;
    let itemId: string;
    let expected: Record<string, { size: number; sha1: string }>;

    beforeAll(async () => {
      target = await startTarget(targetName);
      worker = await startTestWorker(
        testConfig({ target: { url: target.url, username: 'user', password: 'pass' } }),
      );
      rest = restClient(target.url);
      library = await createTestLibrary(rest, target.datastore, 'rerun');
      ({ itemId, expected } = await seedItem(rest, library.id, `rerun-${randomUUID().slice(0, 6)}`, FILES));
      dir = await mkdtemp(join(tmpdir(), 'clo-download-rerun-'));
    });
    afterAll(async () => {
      await worker?.stop();
      await rest?.close();
      await target?.close();
      await rm(dir, { recursive: true, force: true });
    });
    afterEach(() => target.sim?.faults.clear());

    // One file at a time, in the item's order: the first run's failure on c.bin comes after a and b are in place.
    const download = async (
      destination: string,
      extra: Partial<DownloadInput> = {},
    ): Promise<DownloadResult> =>
      await (
        await startDownload(
          worker.client,
          {
            vcenter: 'target',
            library: { id: library.id },
            item: { id: itemId },
            destination,
            options: { fileConcurrency: 1 },
            ...extra,
          },
          { taskQueue: worker.taskQueue },
        )
      ).result();
    const getsSoFar = () => target.sim?.stats.calls('transfer.get') ?? 0;

    async function expectAllInPlace(dest: string, result: DownloadResult): Promise<void> {
      expect(await listDir(dest)).toEqual(NAMES);
      for (const name of NAMES) expect(await sha1OfFile(join(dest, name))).toBe(expected[name]!.sha1);
      const live = await liveDownloadSessions(rest);
      for (const id of result.sessionIds) expect(live).not.toContain(id);
    }

    it('keeps every file of a finished download when run again, without overwrite', async () => {
      const dest = join(dir, 'finished');
      await expectAllInPlace(dest, await download(dest));
      const inodes = await Promise.all(NAMES.map(async (n) => (await stat(join(dest, n))).ino));
      const gets = getsSoFar();
      const again = await download(dest);
      // A SHA-1 only where the server names one (the simulator); on vcsim the bytes were compared.
      expect(again.files.map((f) => [f.name, f.kept, f.sha1])).toEqual(
        NAMES.map((n) => [n, true, target.sim ? expected[n]!.sha1 : undefined]),
      );
      // The simulator reports each file's SHA-1: nothing is fetched. vcsim reports none, so each file
      // is fetched again and kept because its bytes are the same.
      for (const f of again.files) expect(f.bytesFetched).toBe(target.sim ? 0 : expected[f.name]!.size);
      if (target.sim) expect(getsSoFar()).toBe(gets);
      expect(await Promise.all(NAMES.map(async (n) => (await stat(join(dest, n))).ino))).toEqual(inodes);
      await expectAllInPlace(dest, again);
    });

    if (targetName === 'simulator') {
      it('after a download that failed on one file, keeps the files renamed into place and fetches the rest', async () => {
        const dest = join(dir, 'failed');
        const fault = target.sim!.faults.corruptChecksum({ fileName: 'c.bin' });
        const failure = failureOf(await download(dest).catch((e: unknown) => e));
        expect(failure.type).toBe('ChecksumMismatch');
        // a.bin and b.bin were verified and renamed into place; c.bin's part file was removed.
        expect(await listDir(dest)).toEqual(['a.bin', 'b.bin']);
        fault.clear();

        const gets = getsSoFar();
        const result = await download(dest);
        const byName = Object.fromEntries(result.files.map((f) => [f.name, f]));
        expect(byName['a.bin']).toMatchObject({ kept: true, bytesFetched: 0, verifiedBy: 'checksum' });
        expect(byName['b.bin']).toMatchObject({ kept: true, bytesFetched: 0, verifiedBy: 'checksum' });
        expect(byName['c.bin']).toMatchObject({
          bytesFetched: expected['c.bin']!.size,
          verifiedBy: 'checksum',
        });
        expect(byName['c.bin']!.kept).toBeUndefined();
        expect(getsSoFar() - gets).toBe(1);
        await expectAllInPlace(dest, result);
      });

      it('refuses, naming it, a file of the server’s size whose checksum is not the server’s, and leaves it alone', async () => {
        const dest = join(dir, 'tampered');
        await download(dest);
        const tampered = join(dest, 'b.bin');
        await writeFile(tampered, Buffer.alloc(expected['b.bin']!.size, 1));
        const sha1 = await sha1OfFile(tampered);
        const failure = failureOf(await download(dest).catch((e: unknown) => e));
        expect(failure.type).toBe('FileExists');
        expect(failure.message).toContain(
          `${tampered} already exists (not the server's file: its SHA1 is ${sha1}`,
        );
        expect(failure.message).toContain('overwrite: true');
        expect(await sha1OfFile(tampered)).toBe(sha1);
        expect(await listDir(dest)).toEqual(NAMES);

        const replaced = await download(dest, { overwrite: true });
        await expectAllInPlace(dest, replaced);
      });
    }
  },
);
