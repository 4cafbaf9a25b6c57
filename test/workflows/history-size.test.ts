/**
 * How long a saga's history grows, measured on real runs (the figures in docs/history.md come
 * from this test's output): a 2-file upload, a 100-file item, a transfer that lasts many
 * keep-alive intervals (the 24-hour case, time-compressed: keep-alive every second), and a sync's
 * runs, from which a 1,000-item sync follows (it continues as new after every batch of 100).
 * The assertions hold the promise that matters: a longer transfer adds no events, so a 24-hour
 * transfer stays far under Temporal's 10,240-event warning with default settings.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startSync } from '../../client/sync';
import type { UploadInput } from '../../client/upload';
import { syncWorkflowId } from '../../workflows/definitions/sync';
import { makeOvfPackage, writeRandomFile } from '../fixtures/content';
import { createTestLibrary } from '../support/library';
import { useUploadFixture } from '../support/upload-fixture';

async function eventCount(handle: WorkflowHandle): Promise<number> {
  return (await handle.fetchHistory()).events?.length ?? 0;
}

/** Events of every run of a workflow id (a sync continues as new), oldest first. */
async function runsOf(client: Client, workflowId: string): Promise<number[]> {
  const counts: number[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    counts.push(await eventCount(client.workflow.getHandle(workflowId, run.runId)));
  }
  return counts.reverse();
}

describe('history size of the sagas (simulator)', () => {
  const f = useUploadFixture();
  const figures: Record<string, number | number[]> = {};
  afterAll(() => console.log(`history sizes (events): ${JSON.stringify(figures)}`));

  const upload = async (input: Omit<UploadInput, 'vcenter' | 'library'>) => {
    const handle = await f.start(input);
    await handle.result();
    return eventCount(handle);
  };

  it('a 2-file and a 100-file upload: a fixed cost plus a few events per file', async () => {
    const two = await makeOvfPackage(join(f.dir, 'two'), {
      name: 'two',
      disks: [{ size: 4096 }],
      manifest: false,
    });
    const hundred = await makeOvfPackage(join(f.dir, 'hundred'), {
      name: 'hundred',
      disks: Array.from({ length: 99 }, () => ({ size: 1024 })),
      manifest: false,
    });
    figures.twoFiles = await upload({
      item: { name: `two-${randomUUID().slice(0, 6)}` },
      source: { kind: 'ovf', path: two.descriptorPath },
    });
    figures.hundredFiles = await upload({
      item: { name: `hundred-${randomUUID().slice(0, 6)}` },
      source: { kind: 'ovf', path: hundred.descriptorPath },
    });
    const perFile = (figures.hundredFiles - figures.twoFiles) / 98;
    figures.perFile = Math.round(perFile * 10) / 10;
    expect(perFile).toBeLessThanOrEqual(8);
    expect(figures.hundredFiles).toBeLessThan(1000);
  });

  it('a transfer that lasts 20 keep-alive intervals has no more events than one that lasts none', async () => {
    const file = await writeRandomFile(join(f.dir, 'long.iso'), 8 * 1024 * 1024, 'long');
    const options = {
      keepAliveIntervalMs: 1000,
      fileConcurrency: 1,
      replace: false,
      takeOver: false,
      maxSessionRestarts: 2,
    };
    const quick = await upload({
      item: { name: `quick-${randomUUID().slice(0, 6)}` },
      source: { kind: 'file', path: file.path },
      options,
    });
    // ~20 s at 400 KiB/s: 20 keep-alives.
    f.proxy.setRate(400 * 1024);
    const keepAlives = f.target.sim!.stats.calls('updatesession.keep-alive');
    const slow = await upload({
      item: { name: `slow-${randomUUID().slice(0, 6)}` },
      source: { kind: 'file', path: file.path },
      options,
    });
    f.proxy.setRate(1024 * 1024 * 1024);
    const kept = f.target.sim!.stats.calls('updatesession.keep-alive') - keepAlives;
    figures.quickTransfer = quick;
    figures.twentyKeepAliveTransfer = slow;
    figures.keepAlivesDuringIt = kept;
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(slow).toBeLessThanOrEqual(quick + 4);
  }, 120_000);

  it('a sync run: a fixed cost plus a few events per item, bounded by continue-as-new per batch', async () => {
    const catalog = join(f.dir, 'catalog');
    await mkdir(catalog);
    for (let i = 0; i < 12; i++) await writeRandomFile(join(catalog, `img-${i}.iso`), 1024, `img-${i}`);
    const runs = async (batchSize: number): Promise<number[]> => {
      const lib = await createTestLibrary(f.rest, f.target.datastore, 'sync');
      const input = {
        vcenter: 'target',
        library: { name: lib.name },
        source: { kind: 'catalog' as const, path: catalog },
        options: { batchSize },
      };
      await (await startSync(f.worker.client, input, { taskQueue: f.worker.taskQueue })).result();
      return runsOf(f.worker.client, syncWorkflowId(input));
    };
    // 12 items in batches of 4: three runs that each finish a batch (then, maybe, one that finds nothing left).
    const small = await runs(4);
    const whole = await runs(12);
    figures.syncRunsOf4Items = small;
    figures.syncRunOf12Items = whole;
    expect(small.length).toBeGreaterThanOrEqual(3);
    const batchRuns = small.slice(0, 3);
    // Runs of equal batches cost the same: the history of a sync does not grow from run to run.
    expect(Math.max(...batchRuns) - Math.min(...batchRuns)).toBeLessThanOrEqual(12);
    const perItem = (whole[0]! - Math.min(...batchRuns)) / 8;
    figures.syncPerItem = Math.round(perItem * 10) / 10;
    figures.syncRunOf100Items = Math.round(whole[0]! + 88 * perItem);
    expect(figures.syncRunOf100Items).toBeLessThan(2000);
  }, 120_000);
});
