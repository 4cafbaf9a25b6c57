/**
 * `downloadLibraryItem`: a Content Library item's files into a directory on a worker
 * host, as a saga that survives worker restarts and compensates cleanly.
 *
 * learn this host's task queue → resolve the library and the item → plan on the host
 * (destination, filter, safe names, files in the way: all before a session exists) →
 * create the download session (client_token from uuid4()) → list its files → prepare
 * them and wait for PREPARED on workflow timers → one heartbeating download activity
 * per file on the host queue, beside a keep-alive lease → delete the session.
 *
 * Where the bytes land: everything that touches the destination runs on the task queue
 * of the host that answered `hostTaskQueue` (`<queue>@<host name>`, polled by every
 * worker on that host; see worker/create-worker.ts), so a download retried after a crash
 * finds its part file and resumes. If that host does not come back within
 * `options.hostWaitTimeoutMs`, the saga fails with `HostUnavailable` and compensates.
 *
 * On failure: `fail` (or `cancel` when cancelled) and delete the session, remove the part
 * files, re-raise. Files already renamed into place stay: each was verified. A session
 * that expired while every worker was down is replaced, a bounded number of times, and
 * the part files carry over.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SessionFileStatus } from '../activities/download-sessions';
import {
  DownloadInput,
  type DownloadedFile,
  type DownloadResult,
  type ParsedDownloadInput,
} from './definitions/download';
import { ITEM_ID, LIBRARY_ID, SESSION_ID, VCENTER } from './definitions/search-attributes';
import { progressQuery, type TransferProgress } from './definitions/transfer';
import { Compensations } from './lib/compensations';
import { failureType, rootMessage } from './lib/failures';
import { formatBytes } from './lib/format';
import { parseInput } from './lib/input';
import { runPool } from './lib/pool';
import { sagaProxies, type SagaProxies } from './lib/proxies';
import { SagaStatus } from './lib/saga-status';
import { SessionLease } from './lib/session-lease';
import { TransferPermit, TRANSFER_PERMITS_PATCH } from './lib/transfer-permit';

/**
 * patched() id: a file is hashed with SHA-1 only when `options.checksum` asks (or the server names
 * SHA-1 as its checksum); runs started before hash every file, as their result promised `sha1`.
 */
const HASH_WHEN_CHECKED_PATCH = 'download-hash-when-checked';

/** How long a download waits for its host's worker when none is configured. */
const DEFAULT_HOST_WAIT_MS = 60 * 60 * 1000;

interface Proxies extends SagaProxies {
  /** Planning on the destination's host. */
  local: Activities;
  /** The downloads, on the destination's host. */
  transfer: Activities;
  /** Part-file cleanup, on the destination's host; bounded, so a host that is gone cannot stall compensation. */
  cleanup: Activities;
}

export async function downloadLibraryItem(rawInput: unknown): Promise<DownloadResult> {
  const input = parseInput(DownloadInput, rawInput, 'downloadLibraryItem');
  const { options } = input;
  const keepAliveIntervalMs = options.keepAliveIntervalMs ?? 60_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;
  const hostWaitMs = options.hostWaitTimeoutMs ?? DEFAULT_HOST_WAIT_MS;

  const progress: TransferProgress = { phase: 'planning', files: [], totalBytes: 0, bytesSent: 0 };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: VCENTER, value: input.vcenter }]);
  const status = new SagaStatus(progress, input.vcenter);
  status.phase('planning');

  const saga = sagaProxies({
    outageBudgetMs: options.outageBudgetMs,
    outageRetryIntervalMs: options.outageRetryIntervalMs,
    keepAliveIntervalMs,
    heartbeatTimeoutMs,
  });
  const { control, retry } = saga;
  const compensations = new Compensations();
  const permit = new TransferPermit(input.vcenter, control, status);
  let hostTaskQueue = '';
  try {
    hostTaskQueue = await control.hostTaskQueue();
    const proxies: Proxies = {
      ...saga,
      local: proxyActivities<Activities>({
        taskQueue: hostTaskQueue,
        startToCloseTimeout: '2 minutes',
        // A host that is gone fails the saga after this long instead of leaving it waiting for days.
        scheduleToStartTimeout: hostWaitMs,
        retry,
      }),
      transfer: proxyActivities<Activities>({
        taskQueue: hostTaskQueue,
        // A multi-gigabyte file may take hours; liveness is the heartbeat's job.
        startToCloseTimeout: '24 hours',
        scheduleToStartTimeout: hostWaitMs,
        heartbeatTimeout: heartbeatTimeoutMs,
        // Let a download finish aborting before compensation removes its part file.
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        retry,
      }),
      cleanup: proxyActivities<Activities>({
        taskQueue: hostTaskQueue,
        scheduleToCloseTimeout: '2 minutes',
        // A host that did not come back for the download will not come back for its cleanup.
        scheduleToStartTimeout: Math.min(hostWaitMs, 2 * 60_000),
        retry: { ...retry, maximumInterval: Math.min(10_000, options.outageRetryIntervalMs ?? Infinity) },
      }),
    };
    return await download(input, hostTaskQueue, proxies, progress, status, compensations, permit);
  } catch (err) {
    const error = hostNeverReturned(err) ? hostUnavailable(hostTaskQueue, hostWaitMs) : err;
    const cancelled = isCancellation(error);
    status.phase('compensating');
    const message = cancelled ? 'download cancelled' : `download failed: ${rootMessage(error)}`;
    const failed = await compensations.run({ cancelled, message });
    if (failed.length) log.error('some compensations failed', { failed });
    status.phase('failed');
    throw error;
  } finally {
    // After the compensations: the session has ended before another saga may create one.
    await permit.release();
  }
}

/** No worker of the destination's host picked up an activity within the host wait. */
function hostNeverReturned(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

function hostUnavailable(hostTaskQueue: string, waitedMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'HostUnavailable',
    message:
      `no worker polled ${hostTaskQueue} for ${Math.round(waitedMs / 1000)} s: the host that holds this ` +
      `download's part files did not come back. Start a worker there (same CLO_HOST_ID), or raise ` +
      `options.hostWaitTimeoutMs (CLO_HOST_WAIT_TIMEOUT), and run the download again.`,
    nonRetryable: true,
  });
}

async function download(
  input: ParsedDownloadInput,
  hostTaskQueue: string,
  { control, compensate, local, transfer, cleanup, holdSession }: Proxies,
  progress: TransferProgress,
  status: SagaStatus,
  compensations: Compensations,
  permit: TransferPermit,
): Promise<DownloadResult> {
  const { vcenter, options } = input;
  // Decided once, before the first download: a run that began before this change keeps hashing.
  const checksum = options.checksum === true || !patched(HASH_WHEN_CHECKED_PATCH);

  const library = await control.resolveLibrary(vcenter, input.library);
  upsertSearchAttributes([{ key: LIBRARY_ID, value: library.id }]);
  const item = await control.findLibraryItem(vcenter, library.id, input.item);
  if (!item) {
    throw ApplicationFailure.create({
      type: 'ItemNotFound',
      message: `no item named "${'name' in input.item ? input.item.name : ''}" in library ${library.name}`,
      nonRetryable: true,
    });
  }
  upsertSearchAttributes([{ key: ITEM_ID, value: item.id }]);

  // Everything checkable is checked before a session exists.
  const plan = await local.planDownload({
    vcenter,
    itemId: item.id,
    destination: input.destination,
    ...(input.files ? { files: input.files } : {}),
    overwrite: input.overwrite,
  });
  progress.totalBytes = plan.totalBytes;
  progress.files = plan.files.map((f) => ({ name: f.name, size: f.size, bytesSent: 0, state: 'pending' }));
  status.describe(
    `download ${library.name}/${item.name} → ${plan.destination} on ${hostTaskQueue}, ` +
      `${plan.files.length} file${plan.files.length === 1 ? '' : 's'}, ${formatBytes(plan.totalBytes)}`,
  );
  const names = plan.files.map((f) => f.name);
  compensations.push('part-files', async () => {
    await cleanup.removePartFiles(plan.destination, names);
  });

  // One permit for all of the saga's sessions, asked for once the plan is checked (lib/transfer-permit.ts).
  if (patched(TRANSFER_PERMITS_PATCH)) await permit.acquire();
  const done = new Map<string, DownloadedFile>();
  const sessionIds: string[] = [];
  for (let restarts = 0; ; restarts++) {
    status.phase('creating-session');
    const sessionId = await control.createDownloadSession(vcenter, item.id, uuid4());
    sessionIds.push(sessionId);
    upsertSearchAttributes([{ key: SESSION_ID, value: [...sessionIds] }]);
    progress.sessionId = sessionId;
    compensations.push('session', async ({ cancelled, message }) => {
      if (cancelled) await compensate.cancelDownloadSession(vcenter, sessionId);
      else await compensate.failDownloadSession(vcenter, sessionId, message);
      await compensate.deleteDownloadSession(vcenter, sessionId);
    });

    // The session's work runs in its own scope so a lease that finds the session gone can stop it.
    const work = new CancellationScope();
    const lease = new SessionLease(async () => holdSession('download', vcenter, sessionId), work);
    lease.start();
    const inFlight = new Set<Promise<unknown>>();
    try {
      await work.run(async () => {
        const remaining = names.filter((n) => !done.has(n));
        const listed = new Set(
          (await control.listDownloadSessionFiles(vcenter, sessionId)).map((f) => f.name),
        );
        const missing = remaining.filter((n) => !listed.has(n));
        if (missing.length > 0) {
          throw ApplicationFailure.create({
            type: 'NoSuchFile',
            message: `download session ${sessionId} has no ${missing.join(', ')}: the item changed after the download was planned`,
            nonRetryable: true,
          });
        }

        status.phase('preparing');
        await prepareAll(
          control,
          vcenter,
          sessionId,
          remaining,
          input.endpointType,
          options.prepareTimeoutMs,
        );

        status.phase('transferring');
        await runPool(remaining, options.fileConcurrency, async (name) => {
          const entry = progress.files.find((f) => f.name === name)!;
          entry.state = 'transferring';
          const call = transfer.downloadFile({
            vcenter,
            sessionId,
            itemId: item.id,
            destination: plan.destination,
            name,
            overwrite: input.overwrite,
            checksum,
          });
          inFlight.add(call);
          let file: DownloadedFile;
          try {
            file = await call;
          } finally {
            inFlight.delete(call);
          }
          done.set(name, file);
          Object.assign(entry, { state: 'done', bytesSent: file.size });
          progress.bytesSent += file.size;
        });
      });
      // Every file is in place: a cancellation from here on must not fail a finished download.
      compensations.remove('part-files');
      await lease.stop();
      await CancellationScope.nonCancellable(async () => control.deleteDownloadSession(vcenter, sessionId));
      compensations.remove('session');
      status.phase('done');
      return {
        libraryId: library.id,
        itemId: item.id,
        destination: plan.destination,
        hostTaskQueue,
        sessionIds,
        sessionRestarts: restarts,
        totalBytes: plan.totalBytes,
        files: names.map((n) => done.get(n)!),
      };
    } catch (err) {
      // Stop the downloads still running in this session, and let them finish aborting,
      // before anything decides what happens to their part files.
      work.cancel();
      await Promise.allSettled([...inFlight]);
      await lease.stop();
      const gone = lease.lost ? lease.lost.type === 'SessionGone' : failureType(err) === 'SessionGone';
      if (gone && restarts < options.maxSessionRestarts && !CancellationScope.current().consideredCancelled) {
        log.warn(
          'download session is gone; starting a new one for the remaining files, keeping their part files',
          {
            sessionId,
            restarts,
          },
        );
        compensations.remove('session');
        // Usually already gone; if it was only canceled by someone else, tidy it up.
        await control.deleteDownloadSession(vcenter, sessionId).catch(() => undefined);
        continue;
      }
      throw lease.lost && isCancellation(err) ? lease.lost : err;
    }
  }
}

/**
 * Prepares the files and waits, on workflow timers backing off from 100 ms to a minute (an
 * hour's wait costs under a hundred polls), until all are PREPARED; ERROR fails with the
 * server's reason, and so does a prepare that outlasts `timeoutMs`.
 */
async function prepareAll(
  control: Activities,
  vcenter: string,
  sessionId: string,
  names: string[],
  endpointType: ParsedDownloadInput['endpointType'],
  timeoutMs: number,
): Promise<void> {
  let statuses: SessionFileStatus[] = await control.prepareDownloadSessionFiles(
    vcenter,
    sessionId,
    names,
    endpointType,
  );
  let waited = 0;
  for (let delay = 100; ; delay = Math.min(delay * 2, 60_000)) {
    const failed = statuses.filter((s) => s.status === 'ERROR');
    if (failed.length > 0) {
      throw ApplicationFailure.create({
        type: 'PrepareFailed',
        message: `the server could not prepare ${failed.map((f) => `${f.name}: ${f.errorMessage || 'no reason given'}`).join('; ')}`,
        nonRetryable: true,
        details: [{ sessionId, files: failed }],
      });
    }
    const unprepared = statuses.filter((s) => s.status === 'UNPREPARED').map((s) => s.name);
    const waiting = statuses.filter((s) => s.status !== 'PREPARED').map((s) => s.name);
    if (waiting.length === 0) return;
    if (waited >= timeoutMs) {
      throw ApplicationFailure.create({
        type: 'PrepareFailed',
        message: `the server had not prepared ${waiting.join(', ')} after ${Math.round(waited / 1000)} s (options.prepareTimeoutMs)`,
        nonRetryable: true,
        details: [{ sessionId, files: statuses.filter((s) => s.status !== 'PREPARED') }],
      });
    }
    await sleep(delay);
    waited += delay;
    // A file back at UNPREPARED lost its request somewhere: ask again (prepare is idempotent).
    if (unprepared.length > 0)
      await control.prepareDownloadSessionFiles(vcenter, sessionId, unprepared, endpointType);
    statuses = await control.getDownloadSessionFileStatuses(vcenter, sessionId, waiting);
  }
}
