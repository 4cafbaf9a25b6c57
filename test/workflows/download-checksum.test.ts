/**
 * A download hashes only where something checks the hash (issue #12): the server's checksum,
 * when it names one (the simulator, as vSphere, names the item file's SHA-1), or the caller's
 * `options.checksum`. Without either (vcsim) the result has no `sha1`; with `checksum` it has the
 * file's real SHA-1. A wrong server checksum still fails the download, asked or not. And a retry
 * after the rename into place still knows its own file without a SHA-1: by the identity of the
 * part file its heartbeat recorded (device, inode, size, modification time).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import type { ContentLibraryClient } from '../../activities/content-library';
import type { DownloadFileRequest, DownloadHeartbeat } from '../../activities/download-files';
import { VCenterClients } from '../../activities/vcenter-clients';
import { startDownload, type DownloadInput } from '../../client/download';
import type { DownloadedFile, DownloadResult } from '../../workflows/definitions/download';
import { failureOf, listDir, sha1OfFile } from '../support/download';
import { createTestLibrary, restClient, seedItem } from '../support/library';
import { waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, TEST_ROOTS, testConfig, type TestWorker } from '../stack/harness';

const SIZE = 2 * 1024 * 1024 + 11;
const quiet = new DefaultLogger('ERROR', () => undefined);

describe.each(['vcsim', 'simulator'] as const)('download hashing on %s', (targetName) => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let vcenters: VCenterClients;
  let activities: Activities;
  let library: { id: string; name: string };
  let dir: string;
  let itemId: string;
  let sha1: string;

  beforeAll(async () => {
    target = await startTarget(targetName);
    const config = testConfig({ target: { url: target.url, username: 'user', password: 'pass' } });
    worker = await startTestWorker(config);
    vcenters = new VCenterClients(config);
    activities = createActivities({ vcenters, hostTaskQueue: 'unused', ...TEST_ROOTS });
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore, 'hash');
    const seeded = await seedItem(rest, library.id, `hash-${randomUUID().slice(0, 6)}`, [
      { name: 'disk.img', size: SIZE, seed: 'download-checksum' },
    ]);
    itemId = seeded.itemId;
    sha1 = seeded.expected['disk.img']!.sha1;
    dir = await mkdtemp(join(tmpdir(), 'clo-download-checksum-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await vcenters?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => target.sim?.faults.clear());

  const start = async (destination: string, options: DownloadInput['options'] = {}) =>
    await startDownload(
      worker.client,
      { vcenter: 'target', library: { id: library.id }, item: { id: itemId }, destination, options },
      { taskQueue: worker.taskQueue },
    );
  const download = async (destination: string, options?: DownloadInput['options']): Promise<DownloadResult> =>
    await (await start(destination, options)).result();

  it('reports no SHA-1 unless asked for it or it is the server’s checksum; asked, the file’s own', async () => {
    const plain = (await download(join(dir, 'plain'))).files[0]!;
    if (targetName === 'vcsim') {
      // vcsim names no checksum: nothing checks a hash, so none is computed.
      expect(plain).not.toHaveProperty('sha1');
      expect(plain).toMatchObject({ size: SIZE, verifiedBy: 'size' });
    } else {
      // The simulator names the file's SHA-1: computed to check it, and so reported.
      expect(plain).toMatchObject({
        sha1,
        serverChecksum: { algorithm: 'SHA1', checksum: sha1 },
        verifiedBy: 'checksum',
      });
    }
    expect(await sha1OfFile(join(dir, 'plain', 'disk.img'))).toBe(sha1);

    const asked = (await download(join(dir, 'asked'), { checksum: true })).files[0]!;
    expect(asked).toMatchObject({ name: 'disk.img', size: SIZE, sha1 });
    expect(await sha1OfFile(join(dir, 'asked', 'disk.img'))).toBe(sha1);
  });

  if (targetName === 'simulator') {
    it.each([false, true])(
      'fails on a server checksum that does not match, asked for a SHA-1 or not (checksum: %s)',
      async (checksum) => {
        target.sim!.faults.corruptChecksum({ fileName: 'disk.img' });
        const dest = join(dir, `mismatch-${checksum}`);
        const err = await (await start(dest, { checksum })).result().catch((e: unknown) => e);
        const failure = failureOf(err);
        expect(failure.type).toBe('ChecksumMismatch');
        expect(failure.message).toMatch(
          /disk\.img: the SHA1 of the downloaded file is [0-9a-f]{40}, but the server says [0-9a-f]{40}/,
        );
        expect(await listDir(dest)).toEqual([]);
      },
    );
  }

  describe('the activity retried after the rename into place, without a SHA-1', () => {
    async function preparedSession(): Promise<string> {
      const sessionId = await rest.createDownloadSession({ library_item_id: itemId }, randomUUID());
      await rest.prepareDownloadSessionFile(sessionId, 'disk.img');
      await waitFor(
        'disk.img to be PREPARED',
        async () => (await rest.getDownloadSessionFile(sessionId, 'disk.img')).status === 'PREPARED',
      );
      return sessionId;
    }
    async function attempt(
      req: DownloadFileRequest,
      info: Partial<Info>,
      heartbeats: DownloadHeartbeat[] = [],
    ): Promise<DownloadedFile> {
      const env = new MockActivityEnvironment({ taskQueue: 'unused', ...info }, { logger: quiet });
      env.on('heartbeat', (d: DownloadHeartbeat) => heartbeats.push(d));
      return await env.run(activities.downloadFile, req);
    }
    /** Attempt 1 to completion, as the saga runs it without options.checksum; returns its committed heartbeat. */
    async function downloadOnce(name: string) {
      const destination = join(dir, name);
      await activities.planDownload({ vcenter: 'target', itemId, destination, overwrite: false });
      const sessionId = await preparedSession();
      const req: DownloadFileRequest = {
        vcenter: 'target',
        sessionId,
        itemId,
        destination,
        name: 'disk.img',
        overwrite: false,
        checksum: false,
      };
      const heartbeats: DownloadHeartbeat[] = [];
      const first = await attempt(req, { attempt: 1 }, heartbeats);
      if (targetName === 'vcsim') expect(first).not.toHaveProperty('sha1');
      const committed = heartbeats.find((h) => h.committed);
      expect(committed?.committedAs).toMatchObject({ size: SIZE });
      return { req, first, committed, path: join(destination, 'disk.img'), sessionId };
    }
    const cleanUp = async (sessionId: string) =>
      await rest.deleteDownloadSession(sessionId).catch(() => undefined);

    it('keeps its own file, fetching nothing, by the identity its heartbeat recorded', async () => {
      const { req, first, committed, path, sessionId } = await downloadOnce('own');
      const inode = (await stat(path)).ino;
      const again = await attempt(req, { attempt: 2, heartbeatDetails: committed });
      expect(again).toEqual({ ...first, bytesFetched: 0, kept: true });
      expect((await stat(path)).ino).toBe(inode);
      expect(await sha1OfFile(path)).toBe(sha1);
      await cleanUp(sessionId);
    });

    it('does not keep that inode once it was written to: same size, other bytes', async () => {
      const { req, committed, path, sessionId } = await downloadOnce('rewritten');
      // Rewritten in place: the same inode and size, a new modification time.
      await writeFile(path, Buffer.alloc(SIZE, 7));
      const other = await sha1OfFile(path);
      const err = await attempt(req, { attempt: 2, heartbeatDetails: committed }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('FileExists');
      expect((err as ApplicationFailure).message).toContain(
        `${path} already exists (not the server's file: `,
      );
      expect(await sha1OfFile(path)).toBe(other);
      expect(await listDir(req.destination)).toEqual(['disk.img']);
      await cleanUp(sessionId);
    });
  });
});
