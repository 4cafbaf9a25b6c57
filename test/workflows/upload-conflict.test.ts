/**
 * One upload per item, and only for one request (issue #15): while an upload into an item
 * runs, `startUpload` of another source into that item throws RequestConflictError naming
 * the running workflow and its source (never attaching to it and reporting its result), the
 * same request attaches, and `queue: true` waits for the running one and then starts. The
 * same rule for `startDownload` (another file filter into one destination) and
 * `startSync` (another `prune` into one library). A throttling proxy keeps the first
 * transfer running until the test lets it go.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload, type DownloadInput } from '../../client/download';
import type { RunningRequest } from '../../client/start-or-attach';
import { startSync } from '../../client/sync';
import { startUpload, uploadWorkflowId, type UploadInput } from '../../client/upload';
import { writeRandomFile, type ExpectedFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient, seedItem } from '../support/library';
import { heartbeatBytes, waitFor } from '../support/polling';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const MiB = 1024 * 1024;
const FAST = 1024 * MiB;
/** Slow enough that a 1 MiB file takes half a minute: the first upload is surely still running. */
const SLOW = 32 * 1024;

describe.each(['vcsim', 'simulator'] as const)('one request per workflow id on %s', (targetName) => {
  let target: Target;
  let proxy: ThrottleProxy;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;

  beforeAll(async () => {
    target = await startTarget(targetName);
    proxy = await startThrottleProxy(target.url, FAST);
    worker = await startTestWorker(
      testConfig({ target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url } }),
    );
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-conflict-'));
  });
  afterEach(() => proxy.setRate(FAST));
  afterAll(async () => {
    await worker?.stop();
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Two files of one name (so both would become the item's `disk.iso`) in two directories. */
  const twoSources = async (): Promise<[ExpectedFile, ExpectedFile]> => {
    const tag = randomUUID().slice(0, 6);
    const files: ExpectedFile[] = [];
    for (const side of ['a', 'b']) {
      await mkdir(join(dir, tag, side), { recursive: true });
      files.push(await writeRandomFile(join(dir, tag, side, 'disk.iso'), MiB, `${tag}-${side}`));
    }
    return files as [ExpectedFile, ExpectedFile];
  };
  const uploadInput = (item: string, path: string): UploadInput => ({
    vcenter: 'target',
    library: { name: library.name },
    item: { name: item },
    source: { kind: 'file', path },
    // The result's SHA-1s tell which source's bytes an upload sent.
    options: { checksum: true },
  });
  const start = (
    input: UploadInput,
    opts: { queue?: boolean; onQueued?: (r: RunningRequest) => void } = {},
  ) => startUpload(worker.client, input, { taskQueue: worker.taskQueue, ...opts });

  it('refuses another source for an item whose upload is running, naming that workflow and its source; the first completes with its own bytes', async () => {
    const [a, b] = await twoSources();
    const item = `conflict-${randomUUID().slice(0, 6)}`;
    proxy.setRate(SLOW);
    const first = await start(uploadInput(item, a.path));
    await waitFor(
      'the first upload to send bytes',
      async () => (await heartbeatBytes(worker.client, first, 'disk.iso')) > 0,
    );

    const refused = start(uploadInput(item, b.path));
    await expect(refused).rejects.toMatchObject({
      name: 'RequestConflictError',
      running: {
        workflowId: first.workflowId,
        runId: first.firstExecutionRunId,
        description: `file ${a.path}`,
      },
      requested: `file ${b.path}`,
    });
    const message = (await refused.catch((err: Error) => err)) as Error;
    expect(message.message).toContain(
      `${first.workflowId} is already running (run ${first.firstExecutionRunId})`,
    );
    expect(message.message).toContain(a.path);
    expect(message.message).toContain(`clo cancel ${first.workflowId}`);

    proxy.setRate(FAST);
    const result = await first.result();
    expect(result.files).toEqual([expect.objectContaining({ name: 'disk.iso', sha1: a.sha1 })]);
    expect(await readItemBack(rest, result.itemId)).toEqual({ 'disk.iso': { size: a.size, sha1: a.sha1 } });
    // Nothing was started for the refused request: the id has had one run.
    const runs: string[] = [];
    for await (const w of worker.client.workflow.list({ query: `WorkflowId = '${first.workflowId}'` }))
      runs.push(w.runId);
    expect(runs).toEqual([first.firstExecutionRunId]);
  });

  it('attaches the same request to the running upload (other concurrency is the same request); both get one result', async () => {
    const [a] = await twoSources();
    const item = `attach-${randomUUID().slice(0, 6)}`;
    proxy.setRate(SLOW);
    const first = await start(uploadInput(item, a.path));
    const second = await start({
      ...uploadInput(item, a.path),
      options: { fileConcurrency: 4, checksum: true },
    });
    expect(second.workflowId).toBe(first.workflowId);
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    proxy.setRate(FAST);
    const [one, two] = await Promise.all([first.result(), second.result()]);
    expect(two).toEqual(one);
    expect(one.files).toEqual([expect.objectContaining({ name: 'disk.iso', sha1: a.sha1 })]);
  });

  it('with queue: true waits for the running upload of another source, then uploads its own bytes', async () => {
    const [a, b] = await twoSources();
    const item = `queue-${randomUUID().slice(0, 6)}`;
    proxy.setRate(SLOW);
    const first = await start(uploadInput(item, a.path));
    const queued: RunningRequest[] = [];
    const second = start(uploadInput(item, b.path), { queue: true, onQueued: (r) => queued.push(r) });
    await waitFor('the second upload to queue', () => queued.length > 0);
    expect(queued[0]).toEqual({
      workflowId: first.workflowId,
      runId: first.firstExecutionRunId,
      description: `file ${a.path}`,
    });
    proxy.setRate(FAST);
    const firstResult = await first.result();
    const secondHandle = await second;
    expect(secondHandle.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    const secondResult = await secondHandle.result();
    expect(firstResult.files).toEqual([expect.objectContaining({ sha1: a.sha1 })]);
    expect(secondResult.files).toEqual([expect.objectContaining({ sha1: b.sha1 })]);
    expect(await readItemBack(rest, secondResult.itemId)).toEqual({
      'disk.iso': { size: b.size, sha1: b.sha1 },
    });
  });

  it('judges a run started without the request memo (an older client) by its input', async () => {
    const [a, b] = await twoSources();
    const item = `old-${randomUUID().slice(0, 6)}`;
    const input = uploadInput(item, a.path);
    proxy.setRate(SLOW);
    // What the client did before: USE_EXISTING, no memo.
    const old = await worker.client.workflow.start('uploadLibraryItem', {
      taskQueue: worker.taskQueue,
      workflowId: uploadWorkflowId(input),
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [
        {
          ...input,
          options: {
            fileConcurrency: 2,
            replace: false,
            takeOver: false,
            maxSessionRestarts: 2,
            checksum: true,
          },
        },
      ],
    });
    const same = await start(input);
    expect(same.firstExecutionRunId).toBe(old.firstExecutionRunId);
    await expect(start(uploadInput(item, b.path))).rejects.toMatchObject({
      name: 'RequestConflictError',
      running: { runId: old.firstExecutionRunId, description: `file ${a.path}` },
    });
    proxy.setRate(FAST);
    expect((await same.result()).files).toEqual([expect.objectContaining({ sha1: a.sha1 })]);
  });

  it('refuses a download of another file filter into the destination a download is filling, and attaches the same filter', async () => {
    const seeded = await seedItem(rest, library.id, `dl-${randomUUID().slice(0, 6)}`, [
      { name: 'a.bin', size: MiB, seed: 'a' },
      { name: 'b.bin', size: MiB, seed: 'b' },
    ]);
    const input = (files: DownloadInput['files']): DownloadInput => ({
      vcenter: 'target',
      library: { id: library.id },
      item: { id: seeded.itemId },
      destination: join(dir, `dl-${seeded.itemId}`),
      ...(files ? { files } : {}),
      // The result's sha1 below: vcsim names no checksum, so only asked for is there one.
      options: { checksum: true },
    });
    proxy.setRate(SLOW);
    const first = await startDownload(worker.client, input(['a.bin']), { taskQueue: worker.taskQueue });
    await expect(
      startDownload(worker.client, input(['b.bin']), { taskQueue: worker.taskQueue }),
    ).rejects.toMatchObject({
      name: 'RequestConflictError',
      running: { workflowId: first.workflowId, runId: first.firstExecutionRunId },
      requested: expect.stringContaining('files b.bin'),
    });
    // A single name is the list of one: the same request.
    const same = await startDownload(worker.client, input('a.bin'), { taskQueue: worker.taskQueue });
    expect(same.firstExecutionRunId).toBe(first.firstExecutionRunId);
    proxy.setRate(FAST);
    const result = await first.result();
    expect(result.files.map((f) => [f.name, f.sha1])).toEqual([['a.bin', seeded.expected['a.bin']?.sha1]]);
  });

  it('refuses a sync into the library a sync of another request (prune) is filling, and attaches the same one', async () => {
    const catalog = join(dir, `catalog-${randomUUID().slice(0, 6)}`);
    await mkdir(catalog);
    await writeRandomFile(join(catalog, 'rescue.iso'), MiB, `${catalog}-iso`);
    const synced = await createTestLibrary(rest, target.datastore, 'sync');
    const input = {
      vcenter: 'target',
      library: { name: synced.name },
      source: { kind: 'catalog' as const, path: catalog },
    };
    proxy.setRate(SLOW);
    const first = await startSync(worker.client, input, { taskQueue: worker.taskQueue });
    await expect(
      startSync(worker.client, { ...input, prune: true }, { taskQueue: worker.taskQueue }),
    ).rejects.toMatchObject({
      name: 'RequestConflictError',
      running: { workflowId: first.workflowId, description: `catalog ${catalog}` },
      requested: `catalog ${catalog} (prune)`,
    });
    const same = await startSync(worker.client, input, { taskQueue: worker.taskQueue });
    expect(same.firstExecutionRunId).toBe(first.firstExecutionRunId);
    proxy.setRate(FAST);
    expect((await first.result()).counts.added).toBe(1);
  });
});
