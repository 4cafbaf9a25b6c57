/**
 * The download saga's happy paths, on vcsim and on the simulator: a single file, an OVF
 * package uploaded by the upload saga and downloaded back byte for byte, a file filter,
 * and overwrite refused then allowed. Every session the saga opens is gone afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { downloadWorkflowId, startDownload, type DownloadInput } from '../../client/download';
import { startUpload, type UploadInput } from '../../client/upload';
import type { DownloadResult } from '../../workflows/definitions/download';
import { makeOvfPackage, writeRandomFile, type ExpectedFile } from '../fixtures/content';
import {
  downloadSessionCreates,
  failureOf,
  listDir,
  liveDownloadSessions,
  sha1OfFile,
} from '../support/download';
import { createTestLibrary, restClient } from '../support/library';
import { SAGA_TARGETS, serverOf, startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe.each(SAGA_TARGETS)('downloadLibraryItem on %s', (targetName) => {
  const server = serverOf(targetName);
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  // One OVF package, uploaded once, downloaded by several tests.
  let ovf: { itemId: string; files: ExpectedFile[] };

  beforeAll(async () => {
    target = await startTarget(targetName);
    worker = await startTestWorker(testConfig({ target: target.vcenter() }));
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-download-'));
    const pkg = await makeOvfPackage(join(dir, 'src-ovf'), {
      name: 'photon',
      disks: [{ size: 2 * 1024 * 1024 + 7 }, { size: 1024 * 1024 }],
      manifest: 'SHA1',
    });
    const up = await upload({
      item: { name: `ovf-${randomUUID().slice(0, 6)}` },
      source: { kind: 'ovf', path: pkg.descriptorPath },
    });
    ovf = { itemId: up.itemId, files: pkg.files };
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function upload(input: Omit<UploadInput, 'vcenter' | 'library'>) {
    const handle = await startUpload(
      worker.client,
      { vcenter: 'target', library: { id: library.id }, ...input },
      { taskQueue: worker.taskQueue },
    );
    return await handle.result();
  }
  async function download(input: Omit<DownloadInput, 'vcenter' | 'library'>): Promise<DownloadResult> {
    const handle = await startDownload(
      worker.client,
      { vcenter: 'target', library: { name: library.name }, ...input },
      { taskQueue: worker.taskQueue },
    );
    return await handle.result();
  }
  /** Each file on disk equals its original, no part file is left, and the saga's sessions are gone. */
  async function expectDownloaded(
    result: DownloadResult,
    dest: string,
    expected: ExpectedFile[],
  ): Promise<void> {
    expect(await listDir(dest)).toEqual(expected.map((f) => f.name).sort());
    for (const f of expected) expect(await sha1OfFile(join(dest, f.name))).toBe(f.sha1);
    const live = await liveDownloadSessions(rest);
    for (const id of result.sessionIds) expect(live).not.toContain(id);
  }

  it('downloads a single-file item byte for byte, checks it against the server, and deletes its session', async () => {
    const file = await writeRandomFile(join(dir, 'photon.iso'), 5 * 1024 * 1024 + 3, 'single');
    const up = await upload({
      item: { name: `iso-${randomUUID().slice(0, 6)}` },
      source: { kind: 'file', path: file.path },
    });
    const dest = join(dir, 'single');
    const result = await download({ item: { id: up.itemId }, destination: dest });
    expect(result).toMatchObject({
      itemId: up.itemId,
      libraryId: library.id,
      destination: dest,
      sessionRestarts: 0,
      totalBytes: file.size,
    });
    expect(result.hostTaskQueue).toBe(`${worker.taskQueue}@${hostname()}`);
    expect(result.files).toEqual([
      {
        name: 'photon.iso',
        path: join(dest, 'photon.iso'),
        size: file.size,
        // vcsim reports no checksum for download-session or item files, so nothing is hashed; the
        // simulator does (the item's at once, the session's once downloaded): its SHA-1 is checked.
        ...(server === 'simulator'
          ? {
              sha1: file.sha1,
              serverChecksum: { algorithm: 'SHA1', checksum: file.sha1 },
              verifiedBy: 'checksum',
            }
          : { verifiedBy: 'size' }),
        resumed: false,
        resumedFrom: 0,
        discardedBytes: 0,
        bytesFetched: file.size,
        sessionId: result.sessionIds[0],
      },
    ]);
    await expectDownloaded(result, dest, [file]);
  });

  it('round-trips an OVF package uploaded by the upload saga: every file byte-identical', async () => {
    const dest = join(dir, 'ovf');
    // checksum: the saga's own SHA-1 of each file, on vcsim too (which names no checksum).
    const result = await download({
      item: { id: ovf.itemId },
      destination: dest,
      options: { checksum: true },
    });
    expect(result.files.map((f) => f.name).sort()).toEqual(ovf.files.map((f) => f.name).sort());
    for (const f of result.files) expect(f.sha1).toBe(ovf.files.find((e) => e.name === f.name)!.sha1);
    await expectDownloaded(result, dest, ovf.files);
  });

  it('downloads only the files a filter selects, by exact name and by pattern', async () => {
    const [descriptor, manifest, disk1, disk2] = ovf.files as [
      ExpectedFile,
      ExpectedFile,
      ExpectedFile,
      ExpectedFile,
    ];
    const byName = join(dir, 'by-name');
    await expectDownloaded(
      await download({ item: { id: ovf.itemId }, destination: byName, files: [manifest.name] }),
      byName,
      [manifest],
    );
    const byPattern = join(dir, 'by-pattern');
    const result = await download({
      item: { id: ovf.itemId },
      destination: byPattern,
      files: ['*-disk?.img', descriptor.name],
    });
    await expectDownloaded(result, byPattern, [descriptor, disk1, disk2]);
  });

  it('refuses to replace an existing file before creating a session, and replaces it when overwrite is set', async () => {
    const dest = join(dir, 'overwrite');
    await mkdir(dest, { recursive: true });
    const manifest = ovf.files[1]!;
    await writeFile(join(dest, manifest.name), 'precious local edits\n');
    const creates = await downloadSessionCreates(target, rest, ovf.itemId);
    const input = { item: { id: ovf.itemId }, destination: dest, files: [manifest.name] };
    const failure = failureOf(await download(input).catch((e: unknown) => e));
    expect(failure.type).toBe('FileExists');
    expect(failure.message).toContain(join(dest, manifest.name));
    expect(failure.message).toContain('overwrite');
    expect(await readFile(join(dest, manifest.name), 'utf8')).toBe('precious local edits\n');
    expect(await downloadSessionCreates(target, rest, ovf.itemId)).toBe(creates);

    const result = await download({ ...input, overwrite: true });
    await expectDownloaded(result, dest, [manifest]);
  });

  if (server === 'simulator') {
    it('downloads through DIRECT endpoints, which the simulator names as file:// URIs of its storage', async () => {
      const dest = join(dir, 'direct');
      const getsBefore = target.sim!.stats.calls('transfer.get');
      const result = await download({ item: { id: ovf.itemId }, destination: dest, endpointType: 'DIRECT' });
      expect(result.files.every((f) => f.verifiedBy === 'checksum')).toBe(true);
      await expectDownloaded(result, dest, ovf.files);
      expect(target.sim!.stats.calls('transfer.get')).toBe(getsBefore);
    });
  }

  it('derives one workflow id per item and destination, whatever the spelling of the path', () => {
    const base = { vcenter: 'target', library: { name: 'l' }, item: { id: 'i' } };
    expect(downloadWorkflowId({ ...base, destination: '/data/x/' })).toBe(
      downloadWorkflowId({ ...base, destination: '/data//x' }),
    );
    expect(downloadWorkflowId({ ...base, destination: '/data/x' })).not.toBe(
      downloadWorkflowId({ ...base, destination: '/data/y' }),
    );
    expect(downloadWorkflowId({ ...base, destination: '/data/x' })).toMatch(
      /^download\/target\/name:l\/i\/[0-9a-f]{16}$/,
    );
  });
});
