/**
 * The `downloadFile` activity retried after its worker was killed between the rename into
 * place and reporting back: the retry (attempt 2, same arguments) finds the finished file.
 * It runs the real activity twice against vcsim and the simulator, through
 * MockActivityEnvironment, which is exactly what Temporal does after such a kill. The
 * retry keeps the file when it is the server's; a different file of the same name is
 * refused, naming it.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ContentLibraryClient } from '../../activities/content-library';
import type { DownloadFileRequest, DownloadHeartbeat } from '../../activities/download-files';
import { createActivities, type Activities } from '../../activities';
import { VCenterClients } from '../../activities/vcenter-clients';
import type { DownloadedFile } from '../../workflows/definitions/download';
import { listDir, sha1OfFile } from '../support/download';
import { createTestLibrary, restClient, seedItem } from '../support/library';
import { waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { TEST_ROOTS, testConfig } from '../stack/harness';

const SIZE = 3 * 1024 * 1024 + 5;
const quiet = new DefaultLogger('ERROR', () => undefined);

describe.each(['simulator', 'vcsim'] as const)(
  'downloadFile retried after the rename on %s',
  (targetName) => {
    let target: Target;
    let rest: ContentLibraryClient;
    let vcenters: VCenterClients;
    let activities: Activities;
    let dir: string;
    let itemId: string;
    let sha1: string;
    const sessions: string[] = [];

    beforeAll(async () => {
      target = await startTarget(targetName);
      rest = restClient(target.url);
      vcenters = new VCenterClients(
        testConfig({ target: { url: target.url, username: 'user', password: 'pass' } }),
      );
      activities = createActivities({ vcenters, hostTaskQueue: 'unused', ...TEST_ROOTS });
      dir = await mkdtemp(join(tmpdir(), 'clo-retry-rename-'));
      const library = await createTestLibrary(rest, target.datastore, 'rename');
      const seeded = await seedItem(rest, library.id, `rename-${randomUUID().slice(0, 6)}`, [
        { name: 'disk.img', size: SIZE, seed: 'retry-after-rename' },
      ]);
      itemId = seeded.itemId;
      sha1 = seeded.expected['disk.img']!.sha1;
    });
    afterAll(async () => {
      for (const id of sessions) await rest?.deleteDownloadSession(id).catch(() => undefined);
      await vcenters?.close();
      await rest?.close();
      await target?.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** A download session with disk.img PREPARED, as the saga has it before it calls downloadFile. */
    async function preparedSession(): Promise<string> {
      const sessionId = await rest.createDownloadSession({ library_item_id: itemId }, randomUUID());
      sessions.push(sessionId);
      await rest.prepareDownloadSessionFile(sessionId, 'disk.img');
      await waitFor(
        'disk.img to be PREPARED',
        async () => (await rest.getDownloadSessionFile(sessionId, 'disk.img')).status === 'PREPARED',
      );
      return sessionId;
    }

    /** One attempt of the activity, as Temporal runs it; `heartbeats` collects what it reported. */
    async function attempt(
      req: DownloadFileRequest,
      info: Partial<Info>,
      heartbeats: DownloadHeartbeat[] = [],
    ): Promise<DownloadedFile> {
      // Expected failures are noise in test output.
      const env = new MockActivityEnvironment({ taskQueue: 'unused', ...info }, { logger: quiet });
      env.on('heartbeat', (d: DownloadHeartbeat) => heartbeats.push(d));
      return await env.run(activities.downloadFile, req);
    }

    /** Bytes the target has sent for downloads so far (vcsim keeps no count). */
    const getsSoFar = () => target.sim?.stats.calls('transfer.get') ?? 0;

    /** Downloads disk.img into a fresh directory (attempt 1, to completion); returns the request and what it heartbeated. */
    async function downloadOnce(name: string) {
      const destination = join(dir, name);
      const req: DownloadFileRequest = {
        vcenter: 'target',
        sessionId: await preparedSession(),
        itemId,
        destination: await (async () => {
          await rm(destination, { recursive: true, force: true });
          await activities.planDownload({ vcenter: 'target', itemId, destination, overwrite: false });
          return destination;
        })(),
        name: 'disk.img',
        overwrite: false,
      };
      const heartbeats: DownloadHeartbeat[] = [];
      const first = await attempt(req, { attempt: 1 }, heartbeats);
      expect(first).toMatchObject({ name: 'disk.img', size: SIZE, sha1, bytesFetched: SIZE });
      expect(first.kept).toBeUndefined();
      // What the server last heard before the kill: a progress heartbeat, or none at all (the
      // SDK throttles heartbeats, so the one that says "renamed" may never have left the worker).
      const progress = heartbeats.filter((h) => !h.committed).at(-1);
      const committed = heartbeats.find((h) => h.committed);
      expect(committed?.committed).toEqual(first);
      const path = join(destination, 'disk.img');
      return { req, first, progress, committed, path, inode: (await stat(path)).ino };
    }

    it('keeps its own finished file when the last heartbeat the server had says nothing of the rename', async () => {
      const { req, first, progress, path, inode } = await downloadOnce('no-committed');
      const gets = getsSoFar();
      const again = await attempt(req, { attempt: 2, heartbeatDetails: progress });
      // The simulator reports the item's SHA-1, so the file is hashed and kept. vcsim reports no
      // checksum: a size proves nothing, so the retry downloads the file again and keeps it only
      // because the bytes are the same.
      expect(again).toEqual({
        ...first,
        resumed: false,
        resumedFrom: 0,
        discardedBytes: 0,
        bytesFetched: targetName === 'simulator' ? 0 : SIZE,
        kept: true,
      });
      if (target.sim) expect(getsSoFar()).toBe(gets);
      expect(await sha1OfFile(path)).toBe(sha1);
      expect((await stat(path)).ino).toBe(inode);
      expect(await listDir(req.destination)).toEqual(['disk.img']);
    });

    it('keeps it with nothing fetched when the heartbeat that names the renamed file did arrive', async () => {
      const { req, first, committed, path, inode } = await downloadOnce('committed');
      const gets = getsSoFar();
      const again = await attempt(req, { attempt: 2, heartbeatDetails: committed });
      expect(again).toEqual({ ...first, bytesFetched: 0, kept: true });
      if (target.sim) expect(getsSoFar()).toBe(gets);
      expect(await sha1OfFile(path)).toBe(sha1);
      expect((await stat(path)).ino).toBe(inode);
    });

    it('keeps it, and removes the part file, when the kill came between link() and unlink()', async () => {
      const { req, progress, path } = await downloadOnce('linked');
      // commit() links the part file to its final name, then unlinks the part file.
      await link(path, `${path}.part`);
      const again = await attempt(req, { attempt: 2, heartbeatDetails: progress });
      expect(again).toMatchObject({ sha1, kept: true });
      expect(await listDir(req.destination)).toEqual(['disk.img']);
      expect(await sha1OfFile(path)).toBe(sha1);
    });

    it('refuses a different file of the same name, naming it, and leaves it alone; overwrite replaces it', async () => {
      const { req, progress, path } = await downloadOnce('different');
      // Same size, other bytes: only a checksum (or, without one, the server's bytes) can tell.
      const other = Buffer.alloc(SIZE, 7);
      await writeFile(path, other);
      const otherSha1 = await sha1OfFile(path);
      const err = await attempt(req, { attempt: 2, heartbeatDetails: progress }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      const failure = err as ApplicationFailure;
      expect(failure.type).toBe('FileExists');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain(`${path} already exists (not the server's file: `);
      expect(failure.message).toContain('set overwrite: true (clo download --overwrite)');
      expect(await sha1OfFile(path)).toBe(otherSha1);
      expect(await listDir(req.destination)).toEqual(['disk.img']);

      // A different size is refused without reading a byte.
      await writeFile(path, 'precious local edits\n');
      const small = (await attempt(req, { attempt: 3 }).catch((e: unknown) => e)) as ApplicationFailure;
      expect(small.message).toBe(
        `${path} already exists (not the server's file: it has 21 bytes, the server's file has ${SIZE}); ` +
          'set overwrite: true (clo download --overwrite) to replace it',
      );

      const replaced = await attempt({ ...req, overwrite: true }, { attempt: 4 });
      expect(replaced).toMatchObject({ sha1, bytesFetched: SIZE });
      expect(replaced.kept).toBeUndefined();
      expect(await sha1OfFile(path)).toBe(sha1);
    });
  },
);
