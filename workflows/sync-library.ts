/**
 * `syncLibrary`: mirrors a source (a catalog directory, a library on another vCenter, or
 * an HTTP index) into a target library.
 *
 * Each run plans one batch of source entries against the target (activities/sync/plan.ts
 * says when an item counts as unchanged), runs every new or changed item as a child
 * `uploadLibraryItem` saga with a deterministic id scoped to the sync, a bounded number
 * at once, and records each outcome; one item's failure is reported and the others go
 * on. Then it continues as new, carrying the totals, until the source is exhausted; with
 * `prune` it then deletes the managed items the source no longer has, a batch per run.
 * So the history of one run is bounded by the batch size, however large the source.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ContinueAsNew,
  continueAsNew,
  executeChild,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExpectedFile, SyncPlanEntry } from '../activities/sync';
import { LIBRARY_ID, PHASE, VCENTER } from './definitions/search-attributes';
import {
  SyncInput,
  syncItemWorkflowId,
  syncProgressQuery,
  syncSourceKey,
  syncSourceProblem,
  syncWorkflowId,
  type ParsedSyncInput,
  type SyncPhase,
  type SyncProgress,
  SyncResult,
} from './definitions/sync';
import type { UploadInput, UploadResult } from './definitions/upload';
import { rootMessage } from './lib/failures';
import { formatBytes } from './lib/format';
import { parseInput } from './lib/input';
import { refuseSourceProblem } from './lib/source-check';
import { runPool } from './lib/pool';
import { RETRY } from './lib/retry';
import { uploadLibraryItem } from './upload-library-item';

/** What one run hands the next when it continues as new. */
export interface SyncCarry {
  stage: 'items' | 'prune';
  /** The last source key planned. */
  cursor?: string;
  /** Managed items whose deletion failed in this sync: not tried again. */
  pruneSkip: string[];
  progress: SyncProgress;
}

/** Names listed per outcome; the counts stay exact beyond it. */
const MAX_LISTED = 1000;

const control = proxyLocalActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: RETRY });

/** The innermost failure type in a chain (child workflow → activity → application failure). */
function innermostType(err: unknown): string | undefined {
  let type: string | undefined;
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ApplicationFailure && e.type) type = e.type;
    if (!(
      e instanceof ApplicationFailure ||
      e instanceof ActivityFailure ||
      e instanceof ChildWorkflowFailure
    ))
      break;
  }
  return type;
}

export async function syncLibrary(rawInput: unknown, carried?: SyncCarry): Promise<SyncResult> {
  try {
    return await sync(rawInput, carried);
  } catch (err) {
    // Continuing as new is how a run ends between batches, not a failure.
    if (!(err instanceof ContinueAsNew))
      upsertSearchAttributes([{ key: PHASE, value: 'failed' satisfies SyncPhase }]);
    throw err;
  }
}

async function sync(rawInput: unknown, carried: SyncCarry | undefined): Promise<SyncResult> {
  const input: ParsedSyncInput = parseInput(SyncInput, rawInput, 'syncLibrary');
  // The client checks this too; this catches callers that bypass it (`temporal workflow start`).
  refuseSourceProblem(syncSourceProblem(input.source), 'syncLibrary');
  const { options, vcenter } = input;
  // The client computes the same id (unless started around it); children are scoped to it, so a
  // scheduled run (whose own id has the time appended) and `clo sync` never upload one item at once.
  const syncId = syncWorkflowId(input, options.hashNames);
  const planner = proxyActivities<Activities>({
    // Planning may hash multi-gigabyte catalog files; the heartbeat notices a dead worker.
    startToCloseTimeout: '4 hours',
    heartbeatTimeout: options.heartbeatTimeoutMs ?? 30_000,
    retry: RETRY,
  });

  upsertSearchAttributes([
    { key: VCENTER, value: vcenter },
    { key: PHASE, value: 'planning' },
  ]);
  const library = await control.resolveLibrary(vcenter, input.library);
  upsertSearchAttributes([{ key: LIBRARY_ID, value: library.id }]);
  let sourceLibraryId: string | undefined;
  if (input.source.kind === 'library') {
    sourceLibraryId = (await control.resolveLibrary(input.source.vcenter, input.source.library)).id;
    if (input.source.vcenter === vcenter && sourceLibraryId === library.id) {
      throw ApplicationFailure.create({
        type: 'InvalidInput',
        message: 'the source and the target are the same library',
        nonRetryable: true,
      });
    }
  }
  const sourceKey = syncSourceKey(input.source, sourceLibraryId);

  const state: SyncCarry = carried ?? {
    stage: 'items',
    pruneSkip: [],
    progress: {
      phase: 'planning',
      vcenter,
      libraryId: library.id,
      source: sourceKey,
      counts: { added: 0, updated: 0, unchanged: 0, removed: 0, failed: 0, ignored: 0 },
      added: [],
      updated: [],
      removed: [],
      failed: [],
      ignored: [],
      bytesTransferred: 0,
      runs: 0,
      truncated: false,
    },
  };
  const progress = state.progress;
  progress.runs++;
  setHandler(syncProgressQuery, () => progress);

  const publish = (): void => {
    const c = progress.counts;
    const summary =
      `${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged, ${c.removed} removed, ${c.failed} failed` +
      `${c.ignored ? `, ${c.ignored} ignored` : ''}, ${formatBytes(progress.bytesTransferred)} transferred`;
    setCurrentDetails(
      `**sync** ${sourceKey} → ${library.name} on ${vcenter}\n\n` +
        `run ${progress.runs}, ${progress.phase}: ${summary}` +
        (progress.failed.length
          ? `\n\nfailed:\n${progress.failed
              .slice(0, 20)
              .map((f) => `- ${f.name}: ${f.reason}`)
              .join('\n')}`
          : ''),
    );
    upsertMemo({
      sync: {
        source: sourceKey,
        phase: progress.phase,
        runs: progress.runs,
        counts: { ...c },
        bytesTransferred: progress.bytesTransferred,
        failed: progress.failed.slice(0, 20),
      },
    });
  };
  const setPhase = (phase: SyncPhase): void => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: PHASE, value: phase }]);
    publish();
  };
  const list = (names: string[], name: string): void => {
    if (names.length < MAX_LISTED) names.push(name);
    else progress.truncated = true;
  };
  const fail = (name: string, reason: string, type?: string): void => {
    progress.counts.failed++;
    if (progress.failed.length < MAX_LISTED)
      progress.failed.push({ name, reason, ...(type ? { type } : {}) });
    else progress.truncated = true;
  };
  const ignore = (path: string, reason: string): void => {
    progress.counts.ignored++;
    if (progress.ignored.length < MAX_LISTED) progress.ignored.push({ path, reason });
    else progress.truncated = true;
  };

  /** Runs one planned entry; never throws except on the sync's own cancellation. */
  const syncItem = async (entry: SyncPlanEntry): Promise<void> => {
    switch (entry.action) {
      case 'unchanged':
        progress.counts.unchanged++;
        return;
      case 'ignored':
        ignore(entry.name, entry.reason);
        return;
      case 'failed':
        fail(entry.name, entry.reason, entry.type);
        publish();
        return;
    }
    try {
      let source = entry.upload;
      let files: ExpectedFile[] = entry.files;
      if (entry.verify) {
        // The index's SHA-256, checked by the worker, becomes a SHA-1 the vCenter checks its pull against.
        const { sha1 } = await planner.verifyIndexFile(entry.verify);
        if (source.kind === 'url') source = { ...source, checksum: { algorithm: 'SHA1', checksum: sha1 } };
        files = files.map((f) => ({ ...f, sha1 }));
      }
      const upload: UploadInput = {
        vcenter,
        library: { id: library.id },
        item:
          entry.action === 'add'
            ? {
                name: entry.name,
                create: true,
                description: entry.description,
                ...(entry.type ? { type: entry.type } : {}),
              }
            : { id: entry.itemId },
        source,
        options: {
          fileConcurrency: options.fileConcurrency,
          // An updated item holds exactly the source's files afterwards.
          replace: entry.action === 'update',
          // The stamp's fingerprint needs every file's SHA-1: the upload computes those not known yet.
          ...(files.some((f) => !f.sha1) ? { checksum: true } : {}),
          takeOver: false,
          maxSessionRestarts: 2,
          ...(options.keepAliveIntervalMs !== undefined
            ? { keepAliveIntervalMs: options.keepAliveIntervalMs }
            : {}),
          ...(options.heartbeatTimeoutMs !== undefined
            ? { heartbeatTimeoutMs: options.heartbeatTimeoutMs }
            : {}),
          ...(options.outageBudgetMs !== undefined ? { outageBudgetMs: options.outageBudgetMs } : {}),
          ...(options.outageRetryIntervalMs !== undefined
            ? { outageRetryIntervalMs: options.outageRetryIntervalMs }
            : {}),
        },
      };
      const result: UploadResult = await executeChild(uploadLibraryItem, {
        workflowId: syncItemWorkflowId(syncId, entry.name, options.hashNames),
        args: [upload],
        staticSummary: `${entry.action} ${entry.name} (${syncId})`,
      });
      const sent = new Map(result.files.map((f) => [f.name, f]));
      const recorded = files.map((f) => {
        const sha1 = sent.get(f.name)?.sha1 ?? f.sha1;
        return { name: f.name, size: f.size, ...(sha1 ? { sha1 } : {}) };
      });
      await control.recordSyncedItem({
        vcenter,
        itemId: result.itemId,
        sourceKey,
        version: entry.version,
        files: recorded,
      });
      for (const f of result.files) {
        // A pull moves bytes too, server to server; a file a retry found complete moved none this time.
        progress.bytesTransferred += f.skipped ? 0 : f.bytesSent || (source.kind === 'url' ? f.size : 0);
      }
      progress.counts[entry.action === 'add' ? 'added' : 'updated']++;
      list(entry.action === 'add' ? progress.added : progress.updated, entry.name);
    } catch (err) {
      if (isCancellation(err) && CancellationScope.current().consideredCancelled) throw err;
      fail(entry.name, rootMessage(err), innermostType(err));
    }
    publish();
  };

  if (state.stage === 'items') {
    setPhase('planning');
    const page = await planner.planSyncBatch({
      vcenter,
      libraryId: library.id,
      source: input.source,
      sourceKey,
      ...(sourceLibraryId ? { sourceLibraryId } : {}),
      ...(state.cursor !== undefined ? { after: state.cursor } : {}),
      limit: options.batchSize,
      checksum: options.checksum,
      listIgnored: state.cursor === undefined,
    });
    for (const i of page.ignored) ignore(i.path, i.reason);
    setPhase('transferring');
    await runPool(page.entries, options.itemConcurrency, syncItem);
    if (page.next !== undefined) {
      state.cursor = page.next;
      publish();
      return await continueAsNew<typeof syncLibrary>(input, state);
    }
    state.stage = 'prune';
    delete state.cursor;
  }

  if (input.prune) {
    setPhase('pruning');
    let more = false;
    try {
      const pruned = await planner.pruneSyncBatch({
        vcenter,
        libraryId: library.id,
        source: input.source,
        sourceKey,
        ...(sourceLibraryId ? { sourceLibraryId } : {}),
        limit: options.batchSize,
        skip: state.pruneSkip,
      });
      if (pruned.refused) progress.pruneRefused = pruned.refused;
      for (const r of pruned.removed) {
        progress.counts.removed++;
        list(progress.removed, r.name);
      }
      for (const f of pruned.failed) {
        fail(f.name, `could not delete it: ${f.reason}`);
        state.pruneSkip.push(f.id);
      }
      more = pruned.more;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The items are synced; a prune that could not run is reported, not a failed sync.
      progress.pruneRefused = `prune failed: ${rootMessage(err)}`;
    }
    if (more) {
      publish();
      return await continueAsNew<typeof syncLibrary>(input, state);
    }
  }

  setPhase('done');
  return SyncResult.parse(progress);
}
