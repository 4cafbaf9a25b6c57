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
 * finds its part file and resumes. If that host never comes back, the downloads wait
 * for it; cancel the workflow to give up.
 *
 * On failure: `fail` (or `cancel` when cancelled) and delete the session, remove the part
 * files, re-raise. Files already renamed into place stay: each was verified. A session
 * that expired while every worker was down is replaced, a bounded number of times, and
 * the part files carry over.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
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
import { ITEM_ID, LIBRARY_ID, PHASE, SESSION_ID, VCENTER } from './definitions/search-attributes';
import { progressQuery, type Phase, type TransferProgress } from './definitions/transfer';
import { Compensations } from './lib/compensations';
import { failureType, rootMessage } from './lib/failures';
import { formatBytes } from './lib/format';
import { parseInput } from './lib/input';
import { runPool } from './lib/pool';
import { PERMANENT_FAILURES, RETRY } from './lib/retry';
import { SessionLease } from './lib/session-lease';

// Short, idempotent control-plane calls run as local activities, as in the upload saga.
const control = proxyLocalActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: RETRY });

interface Proxies {
  /** Control-plane calls, on whichever worker runs the workflow. */
  control: Activities;
  /** Planning on the destination's host. */
  local: Activities;
  /** The downloads, on the destination's host. */
  transfer: Activities;
  /** Part-file cleanup, on the destination's host; bounded, so a host that is gone cannot stall compensation. */
  cleanup: Activities;
  keepAlive: Activities;
  keepAliveIntervalMs: number;
}

export async function downloadLibraryItem(rawInput: unknown): Promise<DownloadResult> {
  const input = parseInput(DownloadInput, rawInput, 'downloadLibraryItem');
  const keepAliveIntervalMs = input.options.keepAliveIntervalMs ?? 60_000;
  const heartbeatTimeoutMs = input.options.heartbeatTimeoutMs ?? 30_000;

  const progress: TransferProgress = { phase: 'planning', files: [], totalBytes: 0, bytesSent: 0 };
  setHandler(progressQuery, () => progress);
  const setPhase = (phase: Phase): void => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: PHASE, value: phase }]);
  };
  upsertSearchAttributes([
    { key: VCENTER, value: input.vcenter },
    { key: PHASE, value: 'planning' },
  ]);

  const compensations = new Compensations();
  try {
    const hostTaskQueue = await control.hostTaskQueue();
    const proxies: Proxies = {
      control,
      local: proxyActivities<Activities>({
        taskQueue: hostTaskQueue,
        startToCloseTimeout: '2 minutes',
        retry: RETRY,
      }),
      transfer: proxyActivities<Activities>({
        taskQueue: hostTaskQueue,
        // A multi-gigabyte file may take hours; liveness is the heartbeat's job.
        startToCloseTimeout: '24 hours',
        heartbeatTimeout: heartbeatTimeoutMs,
        // Let a download finish aborting before compensation removes its part file.
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        retry: RETRY,
      }),
      cleanup: proxyActivities<Activities>({
        taskQueue: hostTaskQueue,
        scheduleToCloseTimeout: '2 minutes',
        retry: { ...RETRY, maximumInterval: '10s' },
      }),
      keepAlive: proxyActivities<Activities>({
        startToCloseTimeout: Math.max(keepAliveIntervalMs, 30_000),
        retry: { maximumAttempts: 3, nonRetryableErrorTypes: PERMANENT_FAILURES },
      }),
      keepAliveIntervalMs,
    };
    return await download(input, hostTaskQueue, proxies, progress, setPhase, compensations);
  } catch (err) {
    const cancelled = isCancellation(err);
    setPhase('compensating');
    const message = cancelled ? 'download cancelled' : `download failed: ${rootMessage(err)}`;
    const failed = await compensations.run({ cancelled, message });
    if (failed.length) log.error('some compensations failed', { failed });
    setPhase('failed');
    throw err;
  }
}

async function download(
  input: ParsedDownloadInput,
  hostTaskQueue: string,
  { control, local, transfer, cleanup, keepAlive, keepAliveIntervalMs }: Proxies,
  progress: TransferProgress,
  setPhase: (phase: Phase) => void,
  compensations: Compensations,
): Promise<DownloadResult> {
  const { vcenter, options } = input;

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
  setCurrentDetails(
    `download ${library.name}/${item.name} → ${plan.destination} on ${hostTaskQueue}, ` +
      `${plan.files.length} file${plan.files.length === 1 ? '' : 's'}, ${formatBytes(plan.totalBytes)}`,
  );
  const names = plan.files.map((f) => f.name);
  compensations.push('part-files', async () => {
    await cleanup.removePartFiles(plan.destination, names);
  });

  const done = new Map<string, DownloadedFile>();
  const sessionIds: string[] = [];
  for (let restarts = 0; ; restarts++) {
    setPhase('creating-session');
    const sessionId = await control.createDownloadSession(vcenter, item.id, uuid4());
    sessionIds.push(sessionId);
    upsertSearchAttributes([{ key: SESSION_ID, value: [...sessionIds] }]);
    progress.sessionId = sessionId;
    compensations.push('session', async ({ cancelled, message }) => {
      if (cancelled) await control.cancelDownloadSession(vcenter, sessionId);
      else await control.failDownloadSession(vcenter, sessionId, message);
      await control.deleteDownloadSession(vcenter, sessionId);
    });

    // The session's work runs in its own scope so a lease that finds the session gone can stop it.
    const work = new CancellationScope();
    const lease = new SessionLease(
      async (p) => keepAlive.keepAliveDownloadSession(vcenter, sessionId, p),
      keepAliveIntervalMs,
      work,
    );
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

        setPhase('preparing');
        await prepareAll(control, vcenter, sessionId, remaining, input.endpointType);

        setPhase('transferring');
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
          lease.setProgress(progress.totalBytes ? (progress.bytesSent / progress.totalBytes) * 100 : 99);
        });
      });
      await lease.stop();
      await control.deleteDownloadSession(vcenter, sessionId);
      compensations.remove('session');
      compensations.remove('part-files');
      setPhase('done');
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
      const gone = lease.lost !== undefined || failureType(err) === 'SessionGone';
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

/** Prepares the files and waits, on workflow timers with backoff, until all are PREPARED; ERROR fails with the server's reason. */
async function prepareAll(
  control: Activities,
  vcenter: string,
  sessionId: string,
  names: string[],
  endpointType: ParsedDownloadInput['endpointType'],
): Promise<void> {
  let statuses: SessionFileStatus[] = await control.prepareDownloadSessionFiles(
    vcenter,
    sessionId,
    names,
    endpointType,
  );
  for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
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
    await sleep(delay);
    // A file back at UNPREPARED lost its request somewhere: ask again (prepare is idempotent).
    if (unprepared.length > 0)
      await control.prepareDownloadSessionFiles(vcenter, sessionId, unprepared, endpointType);
    statuses = await control.getDownloadSessionFileStatuses(vcenter, sessionId, waiting);
  }
}
