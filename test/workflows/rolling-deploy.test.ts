/**
 * A rolling deploy under running sagas (docs/deploy.md), with real `clo worker` processes on
 * one host: build A (versioned, current) runs a 300 MB upload and a download; build B, whose
 * saga code issues its commands in another order, starts beside it and is set current with
 * `clo deployment set-current`. The running sagas are PINNED: every one of their workflow
 * tasks and activities, on the shared queue, the host's download queue and the lease queue,
 * stays with A to the end, and their bytes arrive intact; sagas started after the switch run
 * on B. No workflow task fails anywhere (B replaying A's histories would fail on the
 * reordering), and A reports DRAINED once its sagas end, so it can be stopped.
 *
 * Every workflow here carries memo `cloTestBuild: true`: B's reordered code must not end up
 * in the replay corpus (scripts/record-histories.ts skips them).
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { decodeVersioningBehavior } from '@temporalio/common';
import { describeDeployment, setCurrentVersion, type DeploymentDescription } from '../../client/deployments';
import { prepareDownloadInput } from '../../client/download';
import { prepareUploadInput } from '../../client/upload';
import { leaseTaskQueueFor } from '../../workflows/definitions/task-queues';
import type { DownloadInput } from '../../workflows/definitions/download';
import type { UploadInput } from '../../workflows/definitions/upload';
import { writeRandomFile } from '../fixtures/content';
import { clo, cloEnv } from '../support/clo';
import { listDir, sha1OfFile } from '../support/download';
import { readItemBack, seedItem } from '../support/library';
import { heartbeatBytes, waitFor } from '../support/polling';
import { bundleReorderedWorkflows } from '../support/reordered-workflows';
import { useProcessFixture } from '../support/process-fixture';
import type { WorkerProcess } from '../support/worker-process';

const MiB = 1024 * 1024;
const BIG = 300 * MiB;
const DOWNLOAD = 64 * MiB;
/** Both builds run on this host: B's host worker polls the same `<queue>@<host>` as A's. */
const HOST = 'rolling-host';
/** Slow enough that A's transfers are mid-way through the whole handover (the download at half). */
const HANDOVER_RATE = MiB;

describe('a rolling deploy mid-transfer (simulator)', () => {
  const f = useProcessFixture({ rate: HANDOVER_RATE });
  const queue = (): string => f.config.temporal.taskQueue;

  const startBuild = async (buildId: string, env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> =>
    f.worker(`build-${buildId}`, ['--build-id', buildId], { CLO_HOST_ID: HOST, ...env });

  const describe_ = async (): Promise<DeploymentDescription> => describeDeployment(f.client, queue());
  const version = (d: DeploymentDescription, buildId: string) =>
    d.versions.find((v) => v.buildId === buildId);

  /** Waits until `buildId`'s workers have polled all three of its task queues. */
  const registered = async (buildId: string) => {
    const want = [queue(), `${queue()}@${HOST}`, leaseTaskQueueFor(queue())].sort();
    await waitFor(`build ${buildId} to poll ${want.join(', ')}`, async () => {
      const v = await describe_()
        .then((d) => version(d, buildId))
        .catch(() => undefined);
      return JSON.stringify([...new Set(v?.taskQueues.map((q) => q.name))].sort()) === JSON.stringify(want);
    });
  };

  const upload = async (name: string, path: string): Promise<WorkflowHandle> => {
    const input: UploadInput = {
      vcenter: 'target',
      library: { id: f.library.id },
      item: { name: `${name}-${randomUUID().slice(0, 6)}` },
      source: { kind: 'file', path },
    };
    return f.client.workflow.start('uploadLibraryItem', {
      taskQueue: queue(),
      workflowId: `rolling-${name}-${randomUUID()}`,
      args: [prepareUploadInput(input, f.config)],
      memo: { cloTestBuild: true },
    });
  };
  const download = async (name: string, itemId: string, destination: string): Promise<WorkflowHandle> => {
    const input: DownloadInput = {
      vcenter: 'target',
      library: { id: f.library.id },
      item: { id: itemId },
      destination,
    };
    return f.client.workflow.start('downloadLibraryItem', {
      taskQueue: queue(),
      workflowId: `rolling-${name}-${randomUUID()}`,
      args: [prepareDownloadInput(input, f.config)],
      memo: { cloTestBuild: true },
    });
  };

  /** Who completed each workflow task and started each activity, and every failed workflow task. */
  const historyOf = async (handle: WorkflowHandle) => {
    const { events } = await handle.fetchHistory();
    const tasks = (events ?? []).flatMap((e) =>
      e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes] : [],
    );
    return {
      taskBuilds: tasks.map((t) => t.deploymentVersion?.buildId ?? '(unversioned)'),
      taskBehaviors: tasks.map((t) => decodeVersioningBehavior(t.versioningBehavior)),
      identities: new Set(
        (events ?? []).flatMap((e) => [
          ...(e.workflowTaskCompletedEventAttributes
            ? [e.workflowTaskCompletedEventAttributes.identity]
            : []),
          ...(e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity] : []),
        ]),
      ),
      hostActivities: (events ?? []).filter(
        (e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name === `${queue()}@${HOST}`,
      ).length,
      failedTasks: (events ?? []).flatMap((e) =>
        e.workflowTaskFailedEventAttributes
          ? [
              `${e.workflowTaskFailedEventAttributes.cause}: ${e.workflowTaskFailedEventAttributes.failure?.message}`,
            ]
          : [],
      ),
      workflowTasks: tasks.length,
    };
  };
  const pinnedTo = async (handle: WorkflowHandle) => {
    const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
    return { behavior: decodeVersioningBehavior(info?.behavior), buildId: info?.deploymentVersion?.buildId };
  };

  it('keeps running sagas on build A to the end while new ones start on B, with no nondeterminism anywhere', async () => {
    const env = await cloEnv(f.config, f.dir);
    const big = await writeRandomFile(join(f.dir, 'big.iso'), BIG, 'rolling-big');
    const small = await writeRandomFile(join(f.dir, 'small.iso'), MiB, 'rolling-small');
    const seeded = await seedItem(f.rest, f.library.id, `seeded-${randomUUID().slice(0, 6)}`, [
      { name: 'disk.img', size: DOWNLOAD, seed: 'rolling-download' },
    ]);
    const tiny = await seedItem(f.rest, f.library.id, `tiny-${randomUUID().slice(0, 6)}`, [
      { name: 'notes.txt', size: 64 * 1024, seed: 'rolling-tiny' },
    ]);
    const sim = f.target.sim!;
    // B's code, bundled before anything runs: webpack takes a while on a busy machine.
    const reordered = join(f.dir, 'reordered-bundle.js');
    await writeFile(reordered, (await bundleReorderedWorkflows()).code);

    // Build A: versioned, made current before anything starts (a versioned worker gets no new
    // workflows until its version is current).
    const a = await startBuild('A');
    expect(a.output()).toContain(`"deploymentVersion":{"deploymentName":"${queue()}","buildId":"A"}`);
    await registered('A');
    await setCurrentVersion(f.client, queue(), 'A');

    const slowDownloads = sim.faults.limitRate({ bytesPerSecond: HANDOVER_RATE / 2 });
    const bigUpload = await upload('big', big.path);
    const firstDownload = await download('first', seeded.itemId, join(f.dir, 'dest-first'));
    await waitFor('A to be sending the big file and fetching the download', async () => {
      const [up, down] = await Promise.all([
        heartbeatBytes(f.client, bigUpload, big.name),
        heartbeatBytes(f.client, firstDownload, 'disk.img'),
      ]);
      return up > 0 && down > 0;
    });

    // Build B: other saga code (commands reordered), a fresh worker beside A on the same host.
    const b = await startBuild('B', { CLO_WORKFLOW_BUNDLE: reordered });
    await registered('B');
    const tasksBefore = await Promise.all([bigUpload, firstDownload].map(async (h) => historyOf(h)));
    const switched = await clo(['deployment', 'set-current', '--build-id', 'B', '--json'], env);
    expect(switched).toMatchObject({ code: 0 });
    expect(JSON.parse(switched.stdout)).toEqual({
      deploymentName: queue(),
      currentBuildId: 'B',
      previousBuildId: 'A',
    });

    // New sagas start on B, the host's download queue included.
    const secondUpload = await upload('second', small.path);
    const secondDownload = await download('second', tiny.itemId, join(f.dir, 'dest-second'));
    const [secondUp, secondDown] = await Promise.all([secondUpload.result(), secondDownload.result()]);
    expect(secondUp).toMatchObject({ files: [expect.objectContaining({ size: small.size })] });
    expect(secondDown).toMatchObject({ hostTaskQueue: `${queue()}@${HOST}` });
    expect(await sha1OfFile(join(f.dir, 'dest-second', 'notes.txt'))).toBe(tiny.expected['notes.txt']!.sha1);

    // A's sagas are mid-transfer still, with nothing failed.
    for (const h of [bigUpload, firstDownload]) {
      expect((await h.describe()).status.name).toBe('RUNNING');
      expect((await historyOf(h)).failedTasks).toEqual([]);
    }
    const during = JSON.parse(
      (await clo(['deployment', 'describe', '--json'], env)).stdout,
    ) as DeploymentDescription;
    expect(during).toMatchObject({ name: queue(), currentBuildId: 'B' });
    expect(version(during, 'B')).toMatchObject({ status: 'CURRENT' });
    expect(version(during, 'A')).toMatchObject({ status: 'DRAINING' });

    // Let A's transfers finish.
    f.proxy!.setRate(1024 * MiB);
    slowDownloads.clear();
    // Their next workflow tasks come after the switch. Sent to B's reordered code (were they not
    // pinned), they would fail and retry forever: watch for that rather than wait for results.
    await waitFor(
      "A's sagas to close, or a workflow task of theirs to fail",
      async () => {
        const [up, down] = await Promise.all([bigUpload, firstDownload].map(async (h) => h.describe()));
        if (up!.status.name !== 'RUNNING' && down!.status.name !== 'RUNNING') return true;
        const failed = await Promise.all([bigUpload, firstDownload].map(async (h) => historyOf(h)));
        return failed.some((h) => h.failedTasks.length > 0);
      },
      180_000,
    );
    const after = await Promise.all([bigUpload, firstDownload].map(async (h) => historyOf(h)));
    expect(after.map((h) => h.failedTasks)).toEqual([[], []]);
    after.forEach((h, i) => expect(h.workflowTasks).toBeGreaterThan(tasksBefore[i]!.workflowTasks));
    const [bigResult, firstResult] = await Promise.all([bigUpload.result(), firstDownload.result()]);
    expect(bigResult).toMatchObject({ files: [expect.objectContaining({ size: BIG })] });
    expect(await readItemBack(f.rest, (bigResult as { itemId: string }).itemId)).toEqual({
      [big.name]: { size: BIG, sha1: big.sha1 },
    });
    expect(firstResult).toMatchObject({ hostTaskQueue: `${queue()}@${HOST}` });
    expect(await sha1OfFile(join(f.dir, 'dest-first', 'disk.img'))).toBe(seeded.expected['disk.img']!.sha1);
    expect(await listDir(join(f.dir, 'dest-first'))).toEqual(['disk.img']);

    // Each saga ran wholly on one build: every workflow task, and every activity on the shared,
    // host and lease queues, was taken by that build's process.
    const identity = (w: WorkerProcess) => new RegExp(`^${w.child.pid}@`);
    for (const [handle, build, worker] of [
      [bigUpload, 'A', a],
      [firstDownload, 'A', a],
      [secondUpload, 'B', b],
      [secondDownload, 'B', b],
    ] as const) {
      const h = await historyOf(handle);
      expect(h.failedTasks).toEqual([]);
      expect(new Set(h.taskBuilds)).toEqual(new Set([build]));
      expect(new Set(h.taskBehaviors)).toEqual(new Set(['PINNED']));
      for (const id of h.identities) expect(id).toMatch(identity(worker));
      expect(await pinnedTo(handle)).toEqual({ behavior: 'PINNED', buildId: build });
    }
    // The downloads' file activities ran on the host queue(), both builds polling the same name.
    expect((await historyOf(firstDownload)).hostActivities).toBeGreaterThan(0);
    expect((await historyOf(secondDownload)).hostActivities).toBeGreaterThan(0);
    expect(`${a.output()}\n${b.output()}`).not.toMatch(/[Nn]ondeterminism|TMPRL1100/);

    // With its pinned sagas closed, A drains and can be stopped.
    await waitFor(
      'build A to be DRAINED',
      async () => version(await describe_(), 'A')?.status === 'DRAINED',
      60_000,
    );
    expect(await a.stop()).toBe(0);
    const text = await clo(['deployment', 'describe'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`current +B`));
    expect(text.stdout).toMatch(/\nA +DRAINED/);
  }, 300_000);
});
