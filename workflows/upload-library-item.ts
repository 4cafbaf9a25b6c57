/**
 * `uploadLibraryItem`: content into a Content Library item as a saga that survives
 * worker restarts and compensates cleanly.
 *
 * plan the source → resolve the library → find or create the item → create the update
 * session (client_token from uuid4(), so retries are idempotent) → one heartbeating
 * transfer activity per file, beside a keep-alive lease → validate → complete → wait
 * for DONE. On failure: `fail` (or `cancel` when cancelled) the session, delete an item
 * the saga created, and re-raise. A session that expired while every worker was down
 * is replaced by a new one, a bounded number of times.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  proxyActivities,
  sleep,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FileTransferResult } from '../activities/upload-file';
import type { PlannedFile, SourcePlan } from '../activities/sources';
import { ITEM_ID, LIBRARY_ID, SESSION_ID, VCENTER } from './definitions/search-attributes';
import {
  progressQuery,
  UploadInput,
  uploadSourceProblem,
  type ParsedUploadInput,
  type UploadProgress,
  type UploadResult,
} from './definitions/upload';
import { Compensations } from './lib/compensations';
import { failureType, rootMessage } from './lib/failures';
import { formatBytes } from './lib/format';
import { parseInput } from './lib/input';
import { refuseSourceProblem } from './lib/source-check';
import { runPool } from './lib/pool';
import { pushWaves } from './lib/push-order';
import { sagaProxies, type SagaProxies } from './lib/proxies';
import { SagaStatus } from './lib/saga-status';
import { CertificateApproval } from './lib/approval';
import { SessionLease } from './lib/session-lease';
import { TransferPermit, TRANSFER_PERMITS_PATCH } from './lib/transfer-permit';

/** How long the saga waits for a completed session to reach DONE (PULL sources apply after `complete`). */
const DONE_TIMEOUT_MS = 60 * 60 * 1000;

export async function uploadLibraryItem(rawInput: unknown): Promise<UploadResult> {
  const input = parseInput(UploadInput, rawInput, 'uploadLibraryItem');
  // The client checks this too; this catches callers that bypass it (`temporal workflow start`).
  refuseSourceProblem(uploadSourceProblem(input.source), 'uploadLibraryItem');
  const { options } = input;
  const keepAliveIntervalMs = options.keepAliveIntervalMs ?? 60_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;

  const progress: UploadProgress = { phase: 'planning', files: [], totalBytes: 0, bytesSent: 0 };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: VCENTER, value: input.vcenter }]);
  const status = new SagaStatus(progress, input.vcenter);
  status.phase('planning');

  const proxies = sagaProxies({
    outageBudgetMs: options.outageBudgetMs,
    outageRetryIntervalMs: options.outageRetryIntervalMs,
    keepAliveIntervalMs,
    heartbeatTimeoutMs,
  });
  const transfer = proxyActivities<Activities>({
    // A multi-gigabyte file may take hours; liveness is the heartbeat's job.
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: heartbeatTimeoutMs,
    // Let the transfer finish aborting before compensation cancels its session.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: proxies.retry,
  });
  // validate and complete may take long on a big item; they heartbeat so a dead worker is noticed quickly.
  const slow = proxyActivities<Activities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: proxies.retry,
  });

  const compensations = new Compensations();
  const permit = new TransferPermit(input.vcenter, proxies.control, status);
  const work = new CancellationScope();
  /** Set once the server has accepted `complete`: from then on nothing may undo the upload. */
  const commit = { done: false };
  let budgetExceeded = false;
  if (options.timeBudgetMs !== undefined) {
    sleep(options.timeBudgetMs).then(
      () => {
        if (commit.done) return;
        budgetExceeded = true;
        work.cancel();
      },
      () => undefined,
    );
  }

  try {
    return await work.run(async () =>
      upload(input, { ...proxies, slow, transfer }, progress, status, compensations, commit, permit),
    );
  } catch (err) {
    const cancelled = isCancellation(err) && !budgetExceeded;
    const error = budgetExceeded
      ? ApplicationFailure.create({
          type: 'TimeBudgetExceeded',
          message: `upload did not finish within its time budget of ${options.timeBudgetMs} ms`,
          nonRetryable: true,
        })
      : err;
    status.phase('compensating');
    const message = cancelled ? 'upload cancelled' : `upload failed: ${rootMessage(error)}`;
    const failed = await compensations.run({ cancelled, message });
    if (failed.length) log.error('some compensations failed', { failed });
    status.phase('failed');
    throw error;
  } finally {
    // After the compensations: the session has ended before another saga may create one.
    await permit.release();
  }
}

interface Proxies extends SagaProxies {
  slow: Activities;
  transfer: Activities;
}

/** patched() id: SHA-1 of pushed files only when `options.checksum` asks (older runs hash every file). */
const HASH_WHEN_CHECKED_PATCH = 'hash-when-checked';

/**
 * patched() id: planning and the library and item lookups as one local activity (prepareUpload),
 * validate and complete as one activity, and the DONE check with the content version as one
 * local activity: a small upload's control plane in three workflow tasks instead of four, and
 * four local activities instead of seven (docs/benchmarks.md). Older runs keep the three
 * lookups, validate and complete as two activities, and the two reads after.
 */
const FEWER_ROUND_TRIPS_PATCH = 'upload-fewer-round-trips';

/**
 * patched() id: the item's and the first session's client tokens are drawn before anything
 * branches. Older runs drew the session's after the item's create, which is skipped when the
 * item is found: a first workflow task that timed out after its local activities had created
 * the item found it on the retry, drew one token fewer, and so created a second session
 * beside its own (ItemBusy on its own item).
 */
const TOKENS_FIRST_PATCH = 'client-tokens-first';

/** patched() id: an OVF's manifest and certificate are added before its descriptor (lib/push-order.ts). */
const METADATA_FIRST_PATCH = 'ovf-metadata-first';

async function upload(
  input: ParsedUploadInput,
  { control, compensate, slow, transfer, holdSession }: Proxies,
  progress: UploadProgress,
  status: SagaStatus,
  compensations: Compensations,
  commit: { done: boolean },
  permit: TransferPermit,
): Promise<UploadResult> {
  const { vcenter, options } = input;
  // Pushed files are hashed with SHA-1 only when asked (or a manifest names it): a run that
  // began before this change keeps hashing every file, as its result promised.
  const hashSha1 = options.checksum === true || !patched(HASH_WHEN_CHECKED_PATCH);
  const approval = new CertificateApproval(progress, status, options);

  const fewerRoundTrips = patched(FEWER_ROUND_TRIPS_PATCH);
  const tokensFirst = patched(TOKENS_FIRST_PATCH);
  const itemToken = tokensFirst ? uuid4() : undefined;
  let firstSessionToken = tokensFirst ? uuid4() : undefined;
  const metadataFirst = patched(METADATA_FIRST_PATCH);

  // Everything checkable is checked before anything is created.
  const prepared = fewerRoundTrips
    ? await control.prepareUpload(vcenter, input.source, input.library, input.item)
    : undefined;
  const plan: SourcePlan = prepared?.plan ?? (await control.planUpload(input.source));
  progress.totalBytes = plan.totalBytes;
  progress.files = plan.files.map((f) => ({
    name: f.name,
    size: f.size ?? 0,
    bytesSent: 0,
    state: 'pending',
  }));
  const library = prepared?.library ?? (await control.resolveLibrary(vcenter, input.library));
  upsertSearchAttributes([{ key: LIBRARY_ID, value: library.id }]);
  status.describe(
    `upload ${plan.displayName} → ${library.name}/${'name' in input.item ? input.item.name : input.item.id}, ` +
      `${plan.files.length} file${plan.files.length === 1 ? '' : 's'}, ${formatBytes(plan.totalBytes)}`,
  );

  let item = prepared ? prepared.item : await control.findLibraryItem(vcenter, library.id, input.item);
  let itemCreated = false;
  if (!item) {
    if (!('name' in input.item) || !input.item.create) {
      throw ApplicationFailure.create({
        type: 'ItemNotFound',
        message: `no item named "${'name' in input.item ? input.item.name : ''}" in library ${library.name}, and item.create is false`,
        nonRetryable: true,
      });
    }
    const id = await control.createLibraryItem(
      vcenter,
      {
        libraryId: library.id,
        name: input.item.name,
        type: input.item.type ?? plan.itemType,
        ...(input.item.description !== undefined ? { description: input.item.description } : {}),
      },
      itemToken ?? uuid4(),
    );
    compensations.push('delete-item', async () => compensate.deleteLibraryItem(vcenter, id));
    item = { id, name: input.item.name };
    itemCreated = true;
  }
  const itemId = item.id;
  upsertSearchAttributes([{ key: ITEM_ID, value: itemId }]);

  // One permit for all of the saga's sessions, asked for once the item is known (lib/transfer-permit.ts).
  if (patched(TRANSFER_PERMITS_PATCH)) await permit.acquire();
  const sessionIds: string[] = [];
  let tookOver = false;
  for (let restarts = 0; ; restarts++) {
    status.phase('creating-session');
    let sessionId: string;
    try {
      const sessionToken = firstSessionToken ?? uuid4();
      firstSessionToken = undefined;
      sessionId = await control.createUpdateSession(vcenter, itemId, sessionToken);
    } catch (err) {
      if (failureType(err) === 'ItemBusy' && options.takeOver && !tookOver) {
        tookOver = true;
        const { canceled, owned } = await control.takeOverItem(vcenter, itemId);
        log.info('took over the item', { canceled, owned });
        restarts--;
        continue;
      }
      throw err;
    }
    sessionIds.push(sessionId);
    upsertSearchAttributes([{ key: SESSION_ID, value: [...sessionIds] }]);
    progress.sessionId = sessionId;
    compensations.push('session', async ({ cancelled, message }) =>
      cancelled
        ? compensate.cancelUpdateSession(vcenter, sessionId)
        : compensate.failUpdateSession(vcenter, sessionId, message),
    );

    // Transfers run in their own scope so a lease that finds the session gone can stop them.
    const transfers = new CancellationScope();
    const lease = new SessionLease(async () => holdSession('update', vcenter, sessionId), transfers);
    lease.start();
    try {
      status.phase('transferring');
      for (const f of progress.files) Object.assign(f, { bytesSent: 0, state: 'pending' });
      progress.bytesSent = 0;
      const pushOne = async (file: PlannedFile, i: number): Promise<FileTransferResult> => {
        const entry = progress.files[i]!;
        entry.state = 'transferring';
        const done: FileTransferResult =
          file.origin.kind === 'url'
            ? await transfer.pullFile(vcenter, sessionId, file)
            : file.origin.kind === 'library-item'
              ? await transfer.relayFile(vcenter, sessionId, file)
              : await transfer.pushFile(vcenter, sessionId, file, { sha1: hashSha1 });
        entry.bytesSent = done.bytesSent;
        entry.state = done.skipped ? 'skipped' : 'done';
        progress.bytesSent += file.size ?? done.size;
        return done;
      };
      const waves = metadataFirst ? pushWaves(plan) : [plan.files.map((_, i) => i)];
      const files: FileTransferResult[] = [];
      await transfers.run(async () => {
        for (const wave of waves) {
          const done = await runPool(wave, options.fileConcurrency, async (i) => pushOne(plan.files[i]!, i));
          wave.forEach((i, k) => (files[i] = done[k]!));
        }
      });
      const removedFiles = options.replace
        ? await control.removeFilesNotIn(
            vcenter,
            sessionId,
            itemId,
            plan.files.map((f) => f.name),
          )
        : [];
      // A signed OVF/OVA vCenter warns about waits here for a decision (lib/approval.ts); the lease may cut it short.
      await transfers.run(async () => approval.review(control, vcenter, sessionId, plan));

      status.phase('validating');
      if (fewerRoundTrips) {
        await slow.validateAndCompleteUpdateSession(vcenter, sessionId);
      } else {
        await slow.validateUpdateSession(vcenter, sessionId);
        status.phase('completing');
        await slow.completeUpdateSession(vcenter, sessionId);
      }
      // The server has the content now: a cancellation, the time budget or a failed lookup from
      // here on must not fail the session or delete the item. Only an ERROR end undoes it.
      const completed = fewerRoundTrips
        ? await CancellationScope.nonCancellable(async () =>
            control.readCompletedSession(vcenter, sessionId, itemId),
          )
        : undefined;
      if (completed?.state !== 'DONE')
        await CancellationScope.nonCancellable(async () => waitUntilDone(control, vcenter, sessionId));
      commit.done = true;
      compensations.remove('session');
      compensations.remove('delete-item');
      await lease.stop();

      const contentVersion =
        completed?.state === 'DONE'
          ? completed.contentVersion
          : await CancellationScope.nonCancellable(async () =>
              control.getContentVersion(vcenter, itemId).catch((err: unknown) => {
                log.warn('upload done; could not read the content version', { error: rootMessage(err) });
                return undefined;
              }),
            );
      status.phase('done');
      return {
        itemId,
        libraryId: library.id,
        itemCreated,
        ...(contentVersion !== undefined ? { contentVersion } : {}),
        sessionIds,
        sessionRestarts: restarts,
        files: files.map((f) => ({
          name: f.name,
          size: f.size,
          ...(f.sha1 ? { sha1: f.sha1 } : {}),
          bytesSent: f.bytesSent,
          resent: f.resent,
          skipped: f.skipped,
        })),
        removedFiles,
        ...(approval.result ? { approval: approval.result } : {}),
      };
    } catch (err) {
      // Stop sibling transfers still running in this session before deciding what next.
      transfers.cancel();
      await lease.stop();
      const gone = lease.lost ? lease.lost.type === 'SessionGone' : failureType(err) === 'SessionGone';
      if (gone && restarts < options.maxSessionRestarts && !CancellationScope.current().consideredCancelled) {
        log.warn('update session is gone; starting a new one for the remaining work', {
          sessionId,
          restarts,
        });
        compensations.remove('session');
        continue;
      }
      throw lease.lost && isCancellation(err) ? lease.lost : err;
    }
  }
}

/**
 * `complete` may return before the server has applied everything (PULL); poll until DONE,
 * backing off to a minute so an hour's wait costs under a hundred polls.
 */
async function waitUntilDone(control: Activities, vcenter: string, sessionId: string): Promise<void> {
  let waited = 0;
  for (let delay = 100; ; delay = Math.min(delay * 2, 60_000)) {
    const { state, errorMessage } = await control.getUpdateSessionState(vcenter, sessionId);
    if (state === 'DONE') return;
    if (state === 'ERROR' || state === 'CANCELED') {
      throw ApplicationFailure.create({
        type: 'UpdateSessionFailed',
        message: `update session ${sessionId} ended in ${state}${errorMessage ? `: ${errorMessage}` : ''}`,
        nonRetryable: true,
      });
    }
    if (waited >= DONE_TIMEOUT_MS) {
      throw ApplicationFailure.create({
        type: 'UpdateSessionFailed',
        message: `update session ${sessionId} was still ${state} ${DONE_TIMEOUT_MS / 60_000} minutes after complete`,
        nonRetryable: true,
      });
    }
    await sleep(delay);
    waited += delay;
  }
}
