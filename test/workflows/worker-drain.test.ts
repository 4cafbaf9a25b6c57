/**
 * `clo worker` drains on SIGTERM: polling stops, the transfer in flight gets the grace time
 * (`CLO_SHUTDOWN_GRACE`, here 2 s), then it is aborted and reported as a retryable
 * `WorkerShutdown` failure, so its next attempt is scheduled at once, not after a heartbeat
 * timeout, and the process exits. The transfer is a 300 MB upload to the simulator behind a
 * throttling proxy, so it is mid-file when the signal comes; a second worker finishes it.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startUpload } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { readItemBack, updateSessionStates } from '../support/library';
import { heartbeatBytes, waitFor } from '../support/polling';
import { useProcessFixture } from '../support/process-fixture';

const BIG = 300 * 1024 * 1024;
const GRACE_MS = 2000;
/** Past the grace: the aborted transfer reports, the Workers and connections close, the process ends. */
const EXIT_SLACK_MS = 3000;
/** Long enough that a transfer resumed only at its heartbeat timeout would miss the test's limits. */
const HEARTBEAT_TIMEOUT_MS = 60_000;

/** The pending attempt of the transfer activity: its number and how the last one ended. */
async function pendingTransfer(handle: WorkflowHandle) {
  const { raw } = await handle.describe();
  const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'pushFile');
  return pending
    ? {
        attempt: pending.attempt ?? 0,
        failure: pending.lastFailure?.message ?? undefined,
        type: pending.lastFailure?.applicationFailureInfo?.type ?? undefined,
        nonRetryable: pending.lastFailure?.applicationFailureInfo?.nonRetryable ?? false,
      }
    : undefined;
}

/** The attempt that sent the transfer's last heartbeat (details outlive their attempt), 0 before any. */
async function heartbeatAttempt(client: Client, handle: WorkflowHandle): Promise<number> {
  const { raw } = await handle.describe();
  const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'pushFile');
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  if (!payload) return 0;
  return (
    client.options.loadedDataConverter.payloadConverter.fromPayload<{ attempt?: number }>(payload).attempt ??
    0
  );
}

describe('clo worker drains on SIGTERM (simulator)', () => {
  // 20 MB/s: 15 s for the file, so the signal finds it mid-transfer and the grace cannot finish it.
  const f = useProcessFixture({
    rate: 20 * 1024 * 1024,
    configure: (config) => {
      config.timeouts.heartbeatTimeoutMs = HEARTBEAT_TIMEOUT_MS;
      config.timeouts.keepAliveIntervalMs = 2000;
      config.worker.shutdownGraceMs = GRACE_MS;
    },
  });
  const worker = (name: string) => f.worker(name);

  it('exits within the grace time, hands the 300 MB upload off as retryable, and the next worker resends it at once', async () => {
    const file = await writeRandomFile(join(f.dir, 'drained.iso'), BIG, 'drain');
    const first = await worker('first');
    const handle = await startUpload(
      f.client,
      {
        vcenter: 'target',
        library: { id: f.library.id },
        item: { name: `drain-${randomUUID().slice(0, 6)}` },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: f.config.temporal.taskQueue, config: f.config },
    );
    await waitFor(
      'a fifth of the file to be sent',
      async () => (await heartbeatBytes(f.client, handle, file.name)) > BIG / 5,
      120_000,
    );

    const signalled = Date.now();
    const code = await first.stop();
    const exitedAfter = Date.now() - signalled;
    expect(code).toBe(0);
    expect(exitedAfter).toBeLessThan(GRACE_MS + EXIT_SLACK_MS);
    // It did wait for the transfer (the grace was not skipped): the transfer could not end sooner.
    expect(exitedAfter).toBeGreaterThanOrEqual(GRACE_MS);
    expect(first.output()).toContain('worker draining');

    // Reported, not left to time out: the server already holds the hand-off and schedules attempt 2.
    expect(await pendingTransfer(handle)).toEqual({
      attempt: 2,
      failure: 'worker shutting down; the transfer resumes on another worker',
      type: 'WorkerShutdown',
      nonRetryable: false,
    });

    f.proxy!.setRate(1024 * 1024 * 1024);
    const resumedFrom = Date.now();
    await worker('second');
    await waitFor(
      'the second worker to run attempt 2',
      async () => (await heartbeatAttempt(f.client, handle)) === 2,
      HEARTBEAT_TIMEOUT_MS / 2,
    );
    expect(Date.now() - resumedFrom).toBeLessThan(HEARTBEAT_TIMEOUT_MS / 2);
    const result = await handle.result();

    expect(result.files[0]).toMatchObject({
      name: file.name,
      size: BIG,
      bytesSent: BIG,
      resent: true,
    });
    expect(await readItemBack(f.rest, result.itemId)).toEqual({
      [file.name]: { size: BIG, sha1: file.sha1 },
    });
    expect(Object.values(await updateSessionStates(f.rest, result.itemId))).toEqual(['DONE']);
  });
});
