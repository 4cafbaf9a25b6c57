/**
 * syncLibrary against the real stack: a catalog directory (on vcsim and on the
 * simulator), a library of vcsim relayed into another, and an HTTP index the target pulls
 * (vcsim and the simulator); the relay between two simulators is in sync-relay.test.ts.
 * Items are read back through download sessions and compared by SHA-1; "nothing
 * transferred" is asserted from the servers' side (the simulator's call counts, vcsim's
 * sessions on the library's items, the index server's request log).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { syncInputFromArgs } from '../../client/commands/sync';
import { startSync, type SyncInput, type SyncResult } from '../../client/sync';
import { startUpload } from '../../client/upload';
import { LIBRARY_ID, PHASE } from '../../workflows/definitions/search-attributes';
import { syncItemWorkflowId, syncWorkflowId } from '../../workflows/definitions/sync';
import { makeOva, makeOvfPackage, writeRandomFile, type ExpectedFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { librarySessionCounter } from '../support/library-sessions';
import { serveFile } from '../support/serve-file';
import { SAGA_TARGETS, startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

const MiB = 1024 * 1024;

async function itemByName(
  rest: ContentLibraryClient,
  libraryId: string,
  name: string,
): Promise<string | undefined> {
  for (const id of await rest.findLibraryItems({ library_id: libraryId, name })) {
    if ((await rest.getLibraryItem(id)).name === name) return id;
  }
  return undefined;
}

const noFailures = (r: SyncResult) => expect(r.failed).toEqual([]);

describe.each(SAGA_TARGETS)('syncLibrary from a catalog directory on %s', (targetName) => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let dir: string;

  beforeAll(async () => {
    target = await startTarget(targetName);
    worker = await startTestWorker(testConfig({ target: target.vcenter() }));
    rest = restClient(target.url);
    vcsimSessionsOn = librarySessionCounter(rest);
    dir = await mkdtemp(join(tmpdir(), 'clo-sync-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sync = async (
    library: string,
    source: SyncInput['source'],
    extra: Partial<SyncInput> = {},
  ): Promise<SyncResult> =>
    await (
      await startSync(
        worker.client,
        { vcenter: 'target', library: { name: library }, source, ...extra },
        { taskQueue: worker.taskQueue },
      )
    ).result();

  /**
   * Update sessions the target has seen created for `libraryId`: the simulator (this file's
   * own) counts calls; on the shared vcsim, the sessions on the library's items.
   */
  let vcsimSessionsOn: (libraryId: string) => Promise<number>;
  const sessionsCreated = async (libraryId: string): Promise<number> =>
    target.sim ? target.sim.stats.calls('updatesession.create') : await vcsimSessionsOn(libraryId);
  const putsSoFar = (): number => target.sim?.stats.calls('transfer.put') ?? 0;

  describe('one catalog, synced again and again', () => {
    let library: { id: string; name: string };
    let catalog: string;
    let ova: { members: ExpectedFile[] };
    let ovf: { files: ExpectedFile[] };
    let iso: ExpectedFile;

    beforeAll(async () => {
      library = await createTestLibrary(rest, target.datastore, 'sync');
      catalog = join(dir, 'catalog');
      await mkdir(catalog);
      const pkg = await makeOvfPackage(join(dir, 'ova-src'), {
        name: 'appliance',
        disks: [{ size: 2 * MiB }],
        manifest: 'SHA1',
      });
      ova = await makeOva(join(catalog, 'appliance.ova'), pkg.dir);
      ovf = await makeOvfPackage(join(catalog, 'photon'), {
        name: 'photon',
        disks: [{ size: MiB + 7 }, { size: 512 * 1024 }],
        manifest: 'SHA256',
      });
      iso = await writeRandomFile(join(catalog, 'tools.iso'), 3 * MiB + 1, 'tools-v1');
      await writeFile(join(catalog, 'README.txt'), 'not an item\n');
      await writeFile(join(catalog, '.partial.iso'), 'hidden files are skipped\n');
    });

    it('adds every OVA, OVF package and ISO as an item named after the file, byte for byte, and lists other files as ignored', async () => {
      const result = await sync(library.name, { kind: 'catalog', path: catalog });
      noFailures(result);
      expect(result.counts).toEqual({
        added: 3,
        updated: 0,
        unchanged: 0,
        removed: 0,
        failed: 0,
        ignored: 1,
      });
      expect([...result.added].sort()).toEqual(['appliance', 'photon', 'tools']);
      expect(result.ignored).toEqual([
        { path: 'README.txt', reason: expect.stringContaining('not an OVA, OVF or ISO') },
      ]);
      expect(result.bytesTransferred).toBe(
        ova.members.reduce((s, m) => s + m.size, 0) + ovf.files.reduce((s, f) => s + f.size, 0) + iso.size,
      );

      const back = async (name: string) => readItemBack(rest, (await itemByName(rest, library.id, name))!);
      expect(await back('appliance')).toEqual(
        Object.fromEntries(ova.members.map((m) => [m.name, { size: m.size, sha1: m.sha1 }])),
      );
      expect(await back('photon')).toEqual(
        Object.fromEntries(ovf.files.map((f) => [f.name, { size: f.size, sha1: f.sha1 }])),
      );
      expect(await back('tools')).toEqual({ 'tools.iso': { size: iso.size, sha1: iso.sha1 } });
      const tools = await rest.getLibraryItem((await itemByName(rest, library.id, 'tools'))!);
      expect(tools.type).toBe('iso');
      expect(tools.description).toMatch(/^Managed by clo sync.*clo-sync:v1 \{"src":"catalog:/);
      // Each item ran as a child upload saga whose id is scoped to the sync.
      const syncId = syncWorkflowId({ vcenter: 'target', library: { name: library.name } });
      const child = await worker.client.workflow.getHandle(syncItemWorkflowId(syncId, 'tools')).describe();
      expect(child.status.name).toBe('COMPLETED');
      expect(child.parentExecution?.workflowId).toBe(syncId);
    });

    it('transfers nothing when run again with nothing changed', async () => {
      const sessions = await sessionsCreated(library.id);
      const puts = putsSoFar();
      const result = await sync(library.name, { kind: 'catalog', path: catalog });
      noFailures(result);
      expect(result.counts).toMatchObject({ added: 0, updated: 0, unchanged: 3, removed: 0 });
      expect(result.bytesTransferred).toBe(0);
      expect(await sessionsCreated(library.id)).toBe(sessions);
      expect(putsSoFar()).toBe(puts);
    });

    it('updates the item whose file changed, and does not resend a file that was only touched', async () => {
      iso = await writeRandomFile(join(catalog, 'tools.iso'), 3 * MiB + 1, 'tools-v2');
      const later = new Date(Date.now() + 60_000);
      await utimes(join(catalog, 'appliance.ova'), later, later);
      const sessions = await sessionsCreated(library.id);
      const puts = putsSoFar();

      const result = await sync(library.name, { kind: 'catalog', path: catalog });
      noFailures(result);
      expect(result.updated).toEqual(['tools']);
      expect(result.counts).toMatchObject({ added: 0, updated: 1, unchanged: 2 });
      expect(result.bytesTransferred).toBe(iso.size);
      expect(await sessionsCreated(library.id)).toBe(sessions + 1);
      if (target.sim) expect(putsSoFar()).toBe(puts + 1);
      expect(await readItemBack(rest, (await itemByName(rest, library.id, 'tools'))!)).toEqual({
        'tools.iso': { size: iso.size, sha1: iso.sha1 },
      });

      // The touched OVA was hashed and re-stamped once; the run after that does not even hash it.
      const again = await sync(library.name, { kind: 'catalog', path: catalog });
      expect(again.counts).toMatchObject({ added: 0, updated: 0, unchanged: 3 });
      expect(await sessionsCreated(library.id)).toBe(sessions + 1);
    });

    it('prunes the managed items the catalog dropped, and leaves items it does not manage alone', async () => {
      const handMade = await rest.createLibraryItem(
        { library_id: library.id, name: 'hand-made', type: 'iso' },
        randomUUID(),
      );
      await rm(join(catalog, 'photon'), { recursive: true });

      const result = await sync(library.name, { kind: 'catalog', path: catalog }, { prune: true });
      noFailures(result);
      expect(result.removed).toEqual(['photon']);
      expect(result.counts).toMatchObject({ removed: 1, unchanged: 2 });
      expect(await itemByName(rest, library.id, 'photon')).toBeUndefined();
      expect((await rest.getLibraryItem(handMade)).name).toBe('hand-made');
      expect(await itemByName(rest, library.id, 'tools')).toBeDefined();
    });
  });

  it('reports each failing item with its reason and syncs the rest', async () => {
    const library = await createTestLibrary(rest, target.datastore, 'sync-fail');
    const catalog = join(dir, 'failing');
    await mkdir(catalog);
    const good = await writeRandomFile(join(catalog, 'good.iso'), MiB, 'good');
    await writeRandomFile(join(catalog, 'broken.ova'), 64 * 1024, 'not a tar');
    // The descriptor matches its manifest (checked at planning), the disk does not (found while it streams).
    const bad = await makeOvfPackage(join(catalog, 'liar'), {
      name: 'liar',
      disks: [{ size: 256 * 1024 }],
      manifest: 'SHA1',
    });
    await writeRandomFile(bad.disks[0]!.path, 256 * 1024, 'other bytes, same size');
    await writeRandomFile(join(catalog, 'taken.iso'), 4096, 'taken');
    const taken = await rest.createLibraryItem(
      { library_id: library.id, name: 'taken', type: 'iso' },
      randomUUID(),
    );

    const result = await sync(library.name, { kind: 'catalog', path: catalog });
    expect(result.added).toEqual(['good']);
    expect(result.counts).toMatchObject({ added: 1, failed: 3 });
    const failed = Object.fromEntries(result.failed.map((f) => [f.name, f]));
    expect(failed.broken).toMatchObject({
      type: 'SourceError',
      reason: expect.stringContaining('broken.ova'),
    });
    // The simulator checks the manifest's SHA-1 (sent as checksum_info) and refuses the PUT; vcsim verifies
    // no PUSH checksum, so the worker's own check, made as the bytes stream, catches it there.
    expect(failed.liar).toMatchObject(
      target.sim
        ? {
            type: 'InvalidArgumentError',
            reason: expect.stringContaining('checksum mismatch for liar-disk1.img'),
          }
        : { type: 'ChecksumMismatch', reason: expect.stringContaining('manifest says') },
    );
    expect(failed.taken).toMatchObject({ type: 'NotManaged' });
    expect(await readItemBack(rest, (await itemByName(rest, library.id, 'good'))!)).toEqual({
      'good.iso': { size: good.size, sha1: good.sha1 },
    });
    // The failed upload compensated (its new item is gone); the item the sync does not manage is untouched.
    expect(await itemByName(rest, library.id, 'liar')).toBeUndefined();
    expect(await readItemBack(rest, taken)).toEqual({});
  });

  it('continues as new after each small batch and still reports the right totals', async () => {
    const library = await createTestLibrary(rest, target.datastore, 'sync-batch');
    const catalog = join(dir, 'batched');
    await mkdir(catalog);
    for (let i = 0; i < 5; i++)
      await writeRandomFile(join(catalog, `disk-${i}.iso`), 64 * 1024 + i, `batch-${i}`);
    const options = { batchSize: 2, itemConcurrency: 2 };

    const handle = await startSync(
      worker.client,
      {
        vcenter: 'target',
        library: { name: library.name },
        source: { kind: 'catalog', path: catalog },
        options,
      },
      { taskQueue: worker.taskQueue },
    );
    const result = await handle.result();
    noFailures(result);
    expect(result.runs).toBe(3);
    expect(result.counts).toMatchObject({ added: 5, unchanged: 0 });
    expect([...result.added].sort()).toEqual(['disk-0', 'disk-1', 'disk-2', 'disk-3', 'disk-4']);
    const described = await handle.describe();
    expect(described.runId).not.toBe(handle.firstExecutionRunId);
    expect(described.memo).toMatchObject({ sync: { phase: 'done', runs: 3, counts: { added: 5 } } });
    expect(described.typedSearchAttributes.get(PHASE)).toBe('done');
    expect(described.typedSearchAttributes.get(LIBRARY_ID)).toBe(library.id);

    const again = await sync(library.name, { kind: 'catalog', path: catalog }, { options });
    expect(again).toMatchObject({ runs: 3, counts: { added: 0, unchanged: 5 } });

    // Pruning four items two at a time: the first run syncs the one left and prunes two, then
    // continues as new to prune the other two.
    for (let i = 1; i < 5; i++) await rm(join(catalog, `disk-${i}.iso`));
    const pruned = await sync(library.name, { kind: 'catalog', path: catalog }, { options, prune: true });
    noFailures(pruned);
    expect(pruned).toMatchObject({ runs: 2, counts: { unchanged: 1, removed: 4 } });
    expect([...pruned.removed].sort()).toEqual(['disk-1', 'disk-2', 'disk-3', 'disk-4']);
    for (let i = 1; i < 5; i++) expect(await itemByName(rest, library.id, `disk-${i}`)).toBeUndefined();
    expect(await itemByName(rest, library.id, 'disk-0')).toBeDefined();
  });
});

describe('syncLibrary between two libraries of one vcsim', () => {
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let dir: string;
  beforeAll(async () => {
    worker = await startTestWorker(testConfig());
    rest = restClient(stackInfo().vcsim.url);
    dir = await mkdtemp(join(tmpdir(), 'clo-relay-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies every item byte for byte (vcsim as both source and target), and nothing when run again', async () => {
    const { datastore } = stackInfo().vcsim;
    const [from, to] = [
      await createTestLibrary(rest, datastore, 'from'),
      await createTestLibrary(rest, datastore, 'to'),
    ];
    const pkg = await makeOvfPackage(join(dir, 'pkg'), {
      name: 'edge',
      disks: [{ size: 3 * MiB }],
      manifest: 'SHA1',
    });
    const iso = await writeRandomFile(join(dir, 'live.iso'), 5 * MiB + 9, 'vcsim-relay');
    for (const [item, source] of [
      ['edge', { kind: 'ovf', path: pkg.descriptorPath }],
      ['live', { kind: 'file', path: iso.path }],
    ] as const) {
      await (
        await startUpload(
          worker.client,
          { vcenter: 'vcsim', library: { id: from.id }, item: { name: item }, source },
          { taskQueue: worker.taskQueue },
        )
      ).result();
    }
    const input: SyncInput = {
      vcenter: 'vcsim',
      library: { id: to.id },
      source: { kind: 'library', vcenter: 'vcsim', library: { name: from.name } },
    };
    const result = await (await startSync(worker.client, input, { taskQueue: worker.taskQueue })).result();
    noFailures(result);
    expect([...result.added].sort()).toEqual(['edge', 'live']);
    expect(await readItemBack(rest, (await itemByName(rest, to.id, 'edge'))!)).toEqual(
      Object.fromEntries(pkg.files.map((f) => [f.name, { size: f.size, sha1: f.sha1 }])),
    );
    expect(await readItemBack(rest, (await itemByName(rest, to.id, 'live'))!)).toEqual({
      'live.iso': { size: iso.size, sha1: iso.sha1 },
    });
    expect((await rest.getLibraryItem((await itemByName(rest, to.id, 'edge'))!)).type).toBe('ovf');

    // vcsim is shared with the test files running beside this one: count only this library's.
    const sessionsOn = librarySessionCounter(rest);
    const sessions = await sessionsOn(to.id);
    const again = await (await startSync(worker.client, input, { taskQueue: worker.taskQueue })).result();
    expect(again.counts).toMatchObject({ added: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(await sessionsOn(to.id)).toBe(sessions);
  });
});

describe.each(SAGA_TARGETS)('syncLibrary from an HTTP index on %s', (targetName) => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let dir: string;
  let http: Server;
  let base: string;
  const requests: string[] = [];
  let index: unknown = [];

  beforeAll(async () => {
    target = await startTarget(targetName);
    worker = await startTestWorker(testConfig({ target: target.vcenter() }));
    rest = restClient(target.url);
    dir = await mkdtemp(join(tmpdir(), 'clo-index-'));
    http = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requests.push(path);
      if (path === '/catalog/index.json')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(index));
      serveFile(res, join(dir, path.replace(/^\/files\//, '')));
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await worker?.stop();
    await new Promise((ok) => http?.close(ok));
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sync = async (library: string): Promise<SyncResult> =>
    await (
      await startSync(
        worker.client,
        {
          vcenter: 'target',
          library: { name: library },
          source: { kind: 'index', url: `${base}/catalog/index.json`, allowPlainHttp: true },
        },
        { taskQueue: worker.taskQueue },
      )
    ).result();

  it('has the target pull every listed file, checked against its SHA-256 first, and pulls nothing when run again', async () => {
    const library = await createTestLibrary(rest, target.datastore, 'pulled');
    const iso = await writeRandomFile(join(dir, 'rescue.iso'), 2 * MiB + 3, 'index-iso');
    const img = await writeRandomFile(join(dir, 'firmware.bin'), 300 * 1024, 'index-bin');
    index = {
      items: [
        { name: 'rescue', url: '../files/rescue.iso', size: iso.size, sha256: iso.sha256 },
        {
          name: 'firmware',
          url: `${base}/files/firmware.bin`,
          size: img.size,
          sha256: img.sha256.toUpperCase(),
        },
      ],
    };
    requests.length = 0;
    const result = await sync(library.name);
    noFailures(result);
    expect([...result.added].sort()).toEqual(['firmware', 'rescue']);
    // Each file twice: once through the worker's SHA-256 check, once pulled by the vCenter.
    expect(requests.filter((p) => p === '/files/rescue.iso')).toHaveLength(2);
    expect(await readItemBack(rest, (await itemByName(rest, library.id, 'rescue'))!)).toEqual({
      'rescue.iso': { size: iso.size, sha1: iso.sha1 },
    });
    expect(await readItemBack(rest, (await itemByName(rest, library.id, 'firmware'))!)).toEqual({
      'firmware.bin': { size: img.size, sha1: img.sha1 },
    });
    expect((await rest.getLibraryItem((await itemByName(rest, library.id, 'rescue'))!)).type).toBe('iso');

    requests.length = 0;
    const again = await sync(library.name);
    expect(again.counts).toMatchObject({ added: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(requests).toEqual(['/catalog/index.json']);
  });

  it('refuses an entry whose bytes do not match its SHA-256, before the vCenter pulls anything', async () => {
    const library = await createTestLibrary(rest, target.datastore, 'pulled-bad');
    const file = await writeRandomFile(join(dir, 'swapped.iso'), 100 * 1024, 'swapped');
    index = [
      {
        name: 'swapped',
        url: '../files/swapped.iso',
        size: file.size,
        sha256: createHash('sha256').update('something else').digest('hex'),
      },
    ];
    requests.length = 0;
    const result = await sync(library.name);
    expect(result.counts).toMatchObject({ added: 0, failed: 1 });
    expect(result.failed[0]).toMatchObject({
      name: 'swapped',
      type: 'ChecksumMismatch',
      reason: expect.stringContaining('SHA-256'),
    });
    expect(requests.filter((p) => p.endsWith('swapped.iso'))).toHaveLength(1);
    expect(await itemByName(rest, library.id, 'swapped')).toBeUndefined();
  });
});

describe('syncInputFromArgs (shared by clo sync and schedules)', () => {
  it('builds the same validated input clo sync starts', () => {
    expect(
      syncInputFromArgs([
        '--source',
        '/srv/catalog/',
        '--library',
        'images',
        '--vcenter',
        'lab',
        '--prune',
        '--batch-size',
        '5',
      ]),
    ).toEqual({
      vcenter: 'lab',
      library: { name: 'images' },
      source: { kind: 'catalog', path: '/srv/catalog' },
      prune: true,
      options: { itemConcurrency: 2, batchSize: 5, checksum: false, fileConcurrency: 2 },
    });
    expect(
      syncInputFromArgs(['--source', 'vcenter:hq/library:id:abc', '--library', 'id:def']).source,
    ).toEqual({
      kind: 'library',
      vcenter: 'hq',
      library: { id: 'abc' },
    });
    expect(
      syncInputFromArgs(['--source', 'https://example.com/i.json', '--library', 'x', '--no-verify']).source,
    ).toEqual({
      kind: 'index',
      url: 'https://example.com/i.json',
      verify: false,
    });
  });

  it('rejects missing or malformed arguments with InvalidInputError', () => {
    const thrown = (argv: string[]): unknown => {
      try {
        syncInputFromArgs(argv);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(thrown(['--library', 'x'])).toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('--source'),
    });
    expect(thrown(['--source', '/x', '--library', 'x', '--batch-size', '0'])).toMatchObject({
      name: 'InvalidInputError',
    });
    expect(thrown(['--source', '/x', '--library', 'x', 'stray'])).toMatchObject({
      name: 'InvalidInputError',
    });
  });
});
