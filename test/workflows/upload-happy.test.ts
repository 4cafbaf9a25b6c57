/**
 * The upload saga's happy paths, on vcsim and on the simulator over /api and over /rest
 * (SAGA_TARGETS; the first test checks the flavour on the wire): a single file, an OVF
 * package with disks and a manifest, an OVA, a PULL from a local HTTP server, and
 * replace. Every item is read back through a download session and compared by SHA-1.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload, type UploadInput } from '../../client/upload';
import { makeOva, makeOvfPackage, writeRandomFile } from '../fixtures/content';
import {
  createTestLibrary,
  metadataFirst,
  readItemBack,
  restClient,
  updateSessionStates,
} from '../support/library';
import { serveFile } from '../support/serve-file';
import { SAGA_TARGETS, serverOf, startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe.each(SAGA_TARGETS)('uploadLibraryItem on %s', (targetName) => {
  const server = serverOf(targetName);
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let http: Server;
  let httpUrl: string;

  beforeAll(async () => {
    target = await startTarget(targetName);
    worker = await startTestWorker(testConfig({ target: target.vcenter() }));
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-upload-'));
    // A plain file server for PULL sources.
    http = createServer((req, res) => {
      serveFile(res, join(dir, basename(decodeURIComponent(req.url ?? ''))));
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await worker?.stop();
    await new Promise((ok) => http?.close(ok));
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (input: Omit<UploadInput, 'vcenter' | 'library'>) => {
    const handle = await startUpload(
      worker.client,
      { vcenter: 'target', library: { name: library.name }, ...input },
      { taskQueue: worker.taskQueue },
    );
    return await handle.result();
  };
  const noActiveSession = async (itemId: string) =>
    expect(Object.values(await updateSessionStates(rest, itemId))).not.toContain('ACTIVE');

  it(`uploads a single file into a new item, byte for byte${server === 'simulator' ? ', speaking the configured flavour' : ''}`, async () => {
    const file = await writeRandomFile(join(dir, 'photon.iso'), 5 * 1024 * 1024 + 3, 'single');
    // Only the worker talks to the server during the saga: what the simulator counts is its wire.
    const over = () => ({
      api: target.sim?.stats.callsOver('api'),
      rest: target.sim?.stats.callsOver('rest'),
    });
    const before = over();
    const result = await upload({
      item: { name: `iso-${randomUUID().slice(0, 6)}` },
      source: { kind: 'file', path: file.path },
    });
    if (target.sim) {
      const after = over();
      const spoken = target.apiFlavor === 'api' ? 'api' : 'rest';
      const other = spoken === 'api' ? 'rest' : 'api';
      expect(after[spoken]! - before[spoken]!).toBeGreaterThan(0);
      expect(after[other]! - before[other]!).toBe(0);
    }
    expect(result.itemCreated).toBe(true);
    expect(result.sessionIds).toHaveLength(1);
    // No SHA-1 in the result: nothing asked for one, so the bytes were not hashed.
    expect(result.files).toEqual([
      {
        name: 'photon.iso',
        size: file.size,
        bytesSent: file.size,
        resent: false,
        skipped: false,
      },
    ]);
    expect(await readItemBack(rest, result.itemId)).toEqual({
      'photon.iso': { size: file.size, sha1: file.sha1 },
    });
    expect((await rest.getLibraryItem(result.itemId)).type).toBe('iso');
    await noActiveSession(result.itemId);
  });

  it("reports each file's SHA-1, hashed while sending, when options.checksum asks for it", async () => {
    const file = await writeRandomFile(join(dir, 'hashed.iso'), 3 * 1024 * 1024 + 7, 'hashed');
    const result = await upload({
      item: { name: `sum-${randomUUID().slice(0, 6)}` },
      source: { kind: 'file', path: file.path },
      options: { checksum: true },
    });
    expect(result.files).toEqual([expect.objectContaining({ name: 'hashed.iso', sha1: file.sha1 })]);
    expect(await readItemBack(rest, result.itemId)).toEqual({
      'hashed.iso': { size: file.size, sha1: file.sha1 },
    });
  });

  it('uploads an OVF package with its disks and manifest', async () => {
    const pkg = await makeOvfPackage(join(dir, 'ovf'), {
      name: 'photon',
      disks: [{ size: 2 * 1024 * 1024 }, { size: 1024 * 1024 + 5 }],
      manifest: 'SHA256',
    });
    const result = await upload({
      item: { name: `ovf-${randomUUID().slice(0, 6)}` },
      source: { kind: 'ovf', path: pkg.descriptorPath },
    });
    expect(result.files.map((f) => f.name)).toEqual(metadataFirst(pkg.files.map((f) => f.name)));
    const back = await readItemBack(rest, result.itemId);
    for (const f of pkg.files) expect(back[f.name]).toEqual({ size: f.size, sha1: f.sha1 });
    expect((await rest.getLibraryItem(result.itemId)).type).toBe('ovf');
    await noActiveSession(result.itemId);
  });

  it('uploads the members of an OVA as the item files, without extracting it', async () => {
    const pkg = await makeOvfPackage(join(dir, 'ova-src'), {
      name: 'appliance',
      disks: [{ size: 3 * 1024 * 1024 }],
      manifest: 'SHA1',
    });
    const ova = await makeOva(join(dir, 'appliance.ova'), pkg.dir);
    const result = await upload({
      item: { name: `ova-${randomUUID().slice(0, 6)}` },
      source: { kind: 'ova', path: ova.path },
    });
    expect(result.files.map((f) => f.name)).toEqual(metadataFirst(ova.members.map((m) => m.name)));
    // The manifest names SHA-1: each file it lists was hashed (and checked), so its SHA-1 is reported.
    const listed = ova.members.filter((m) => !m.name.endsWith('.mf'));
    expect(result.files.filter((f) => f.sha1).map((f) => [f.name, f.sha1])).toEqual(
      listed.map((m) => [m.name, m.sha1]),
    );
    const back = await readItemBack(rest, result.itemId);
    for (const m of ova.members) expect(back[m.name]).toEqual({ size: m.size, sha1: m.sha1 });
    await noActiveSession(result.itemId);
  });

  it('has the server pull a file from an HTTP URL (PULL)', async () => {
    const file = await writeRandomFile(join(dir, 'pulled.iso'), 1024 * 1024 + 11, 'pull');
    const result = await upload({
      item: { name: `pull-${randomUUID().slice(0, 6)}` },
      source: {
        kind: 'url',
        url: `${httpUrl}/pulled.iso`,
        allowPlainHttp: true,
        size: file.size,
        checksum: { algorithm: 'SHA1', checksum: file.sha1 },
      },
    });
    expect(result.files).toEqual([
      expect.objectContaining({ name: 'pulled.iso', bytesSent: 0, skipped: false }),
    ]);
    expect(await readItemBack(rest, result.itemId)).toEqual({
      'pulled.iso': { size: file.size, sha1: file.sha1 },
    });
    await noActiveSession(result.itemId);
  });

  const replaceTitle =
    server === 'vcsim'
      ? 'vcsim departs: removing a session file deletes the whole update session, so replace ends in SessionGone with no ACTIVE session left'
      : 'replace removes the item files the new source does not have';
  it(replaceTitle, async () => {
    const itemName = `replace-${randomUUID().slice(0, 6)}`;
    const first = await writeRandomFile(join(dir, 'old-notes.txt'), 4096, 'old');
    const created = await upload({ item: { name: itemName }, source: { kind: 'file', path: first.path } });
    const second = await writeRandomFile(join(dir, 'new-image.iso'), 8192, 'new');
    const replace = upload({
      item: { id: created.itemId },
      source: { kind: 'file', path: second.path },
      options: { replace: true, fileConcurrency: 2, takeOver: false, maxSessionRestarts: 1 },
    });
    if (server === 'vcsim') {
      await expect(replace).rejects.toMatchObject({ cause: { cause: { type: 'SessionGone' } } });
      await noActiveSession(created.itemId);
      return;
    }
    const result = await replace;
    expect(result.removedFiles).toEqual(['old-notes.txt']);
    expect(await readItemBack(rest, created.itemId)).toEqual({
      'new-image.iso': { size: second.size, sha1: second.sha1 },
    });
    expect(Number(result.contentVersion)).toBeGreaterThan(Number(created.contentVersion));
    await noActiveSession(created.itemId);
  });
});
