/**
 * syncLibrary relaying a library on another vCenter (two simulators) through the worker,
 * with the memory of this process measured while 200 MiB flows through it.
 *
 * @serial It measures this process's peak memory: beside another test file (CPU-bound on a
 * 2-core machine) the garbage collector falls behind and the peak rises with it.
 */
import type { ContentLibraryClient } from '../../activities/content-library';
import { startSync, type SyncInput, type SyncResult } from '../../client/sync';
import { createTestLibrary, readItemBack, restClient, seedItem } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

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

describe('syncLibrary from a library on another vCenter', () => {
  let source: Target;
  let target: Target;
  let worker: TestWorker;
  let sourceRest: ContentLibraryClient;
  let targetRest: ContentLibraryClient;

  beforeAll(async () => {
    [source, target] = await Promise.all([startTarget('simulator'), startTarget('simulator')]);
    worker = await startTestWorker(testConfig({ origin: source.vcenter(), target: target.vcenter() }));
    sourceRest = restClient(source.url);
    targetRest = restClient(target.url);
  });
  afterAll(async () => {
    await worker?.stop();
    await sourceRest?.close();
    await targetRest?.close();
    await Promise.all([source?.close(), target?.close()]);
  });

  it('relays a 200 MiB item byte for byte through the worker with flat memory, and relays nothing when run again', async () => {
    const from = await createTestLibrary(sourceRest, source.datastore, 'origin');
    const to = await createTestLibrary(targetRest, target.datastore, 'mirror');
    const big = await seedItem(sourceRest, from.id, 'big-image', [
      { name: 'big.bin', size: 200 * MiB, seed: 'relay-big' },
      { name: 'notes.txt', size: 10_000, seed: 'relay-notes' },
    ]);
    const input: SyncInput = {
      vcenter: 'target',
      library: { name: to.name },
      source: { kind: 'library', vcenter: 'origin', library: { name: from.name } },
    };

    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 10);
    let result: SyncResult;
    try {
      result = await (await startSync(worker.client, input, { taskQueue: worker.taskQueue })).result();
    } finally {
      clearInterval(sampler);
    }
    noFailures(result);
    expect(result.added).toEqual(['big-image']);
    expect(result.bytesTransferred).toBe(200 * MiB + 10_000);
    // Worker, both simulators and Jest share this process: all of it grew by far less than the item.
    expect((peakRss - before.rss) / MiB).toBeLessThan(50);
    expect((peakHeap - before.heapUsed) / MiB).toBeLessThan(50);

    const copied = await itemByName(targetRest, to.id, 'big-image');
    expect(await readItemBack(targetRest, copied!)).toEqual(big.expected);
    // Every source download session the relay opened was deleted again.
    const downloads = source
      .sim!.stats.sessions()
      .filter((s) => s.kind === 'download' && s.library_item_id === big.itemId);
    expect(downloads.length).toBe(2);
    expect(downloads.every((s) => s.ended === 'deleted')).toBe(true);

    const gets = source.sim!.stats.calls('transfer.get');
    const puts = target.sim!.stats.calls('transfer.put');
    const again = await (await startSync(worker.client, input, { taskQueue: worker.taskQueue })).result();
    expect(again.counts).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect(source.sim!.stats.calls('transfer.get')).toBe(gets);
    expect(target.sim!.stats.calls('transfer.put')).toBe(puts);
  });
});
