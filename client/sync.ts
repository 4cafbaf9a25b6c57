/**
 * The typed API to start library syncs. The workflow id is `sync/<vcenter>/<library>` (a
 * library name hashed when payloads are encrypted), so there is one sync per target library
 * at a time: a second start of the same request while one runs attaches to it, and a start
 * with another source, `prune` or `checksum` is refused with a RequestConflictError naming
 * the running one, or queued behind it when asked (see ./start-or-attach).
 */
import { posix } from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { z } from 'zod';
import type { CloConfig } from '../temporal.config';
import {
  SyncInput,
  syncSourceProblem,
  syncWorkflowId,
  type ParsedSyncInput,
  type SyncResult,
} from '../workflows/definitions/sync';
import type { syncLibrary } from '../workflows/sync-library';
import { InvalidInputError } from './errors';
import {
  redactUrl,
  requestMemo,
  requestCheck,
  startOrAttach,
  type RequestMemo,
  type RunningRequest,
} from './start-or-attach';
import { hidesNames } from './upload';

/** Validates `input` (the workflow's own schema) and fills the timeouts from the worker-side config. */
export function prepareSyncInput(input: SyncInput, config?: CloConfig): ParsedSyncInput {
  const parsed = SyncInput.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid sync input:\n${z.prettifyError(parsed.error)}`);
  // Before the workflow starts, so a credential never reaches history (the workflow checks again).
  const problem = syncSourceProblem(parsed.data.source);
  if (problem) throw new InvalidInputError(`invalid sync input: ${problem}`);
  const options = { ...parsed.data.options };
  if (config) {
    options.keepAliveIntervalMs ??= config.timeouts.keepAliveIntervalMs;
    options.outageBudgetMs ??= config.timeouts.outageBudgetMs;
    options.outageRetryIntervalMs ??= config.timeouts.outageRetryIntervalMs;
    options.heartbeatTimeoutMs ??= config.timeouts.heartbeatTimeoutMs;
  }
  return { ...parsed.data, options };
}

/**
 * `input` with `options.hashNames` set when `client` seals payloads (codec/): the sync's id and its
 * child uploads' ids then carry no library or item names, as upload and download ids do not.
 */
export function withHashedNames(client: Client, input: ParsedSyncInput): ParsedSyncInput {
  return hidesNames(client) ? { ...input, options: { ...input.options, hashNames: true } } : input;
}

/** How a source reads in a summary line (an index URL without user info, query or fragment). */
export function describeSyncSource(source: SyncInput['source']): string {
  switch (source.kind) {
    case 'catalog':
      return source.path;
    case 'index':
      return redactUrl(source.url);
    case 'library':
      return `${source.vcenter}:${'id' in source.library ? source.library.id : source.library.name}`;
  }
}

/**
 * What makes two syncs into one library the same request: what the library ends up
 * holding, that is the source (with `verify` and the thumbprint), `prune`, and `checksum`
 * (which changes what counts as changed). Not batch size, concurrency or timeouts.
 */
export function syncRequestMemo(input: ParsedSyncInput): RequestMemo {
  const source =
    input.source.kind === 'catalog'
      ? { ...input.source, path: posix.normalize(input.source.path) }
      : input.source;
  return requestMemo(
    'syncLibrary',
    { source, prune: input.prune, checksum: input.options.checksum },
    `${source.kind} ${describeSyncSource(source)}${input.prune ? ' (prune)' : ''}${input.options.checksum ? ' (checksum)' : ''}`,
  );
}

export interface StartSyncOptions {
  taskQueue: string;
  /** A one-line summary shown in the Web UI. @default "sync <source> → <library> on <vcenter>" */
  summary?: string;
  config?: CloConfig;
  /**
   * When a sync of another request into the same library is running, wait for it to end
   * and then start, instead of throwing RequestConflictError. @default false
   */
  queue?: boolean;
  /** Called when the start waits behind a running sync (with `queue` only). */
  onQueued?: (running: RunningRequest) => void;
}

/**
 * Starts the sync of `input`, or attaches to the running sync of the same request; throws
 * RequestConflictError when a sync of another request into the library is running.
 */
export async function startSync(
  client: Client,
  input: SyncInput,
  opts: StartSyncOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof syncLibrary>> {
  const prepared = withHashedNames(client, prepareSyncInput(input, opts.config));
  const library = 'id' in prepared.library ? prepared.library.id : prepared.library.name;
  return await startOrAttach<typeof syncLibrary>(
    client,
    'syncLibrary',
    {
      taskQueue: opts.taskQueue,
      workflowId: syncWorkflowId(prepared, prepared.options.hashNames),
      args: [prepared],
      staticSummary:
        opts.summary ??
        `sync ${describeSyncSource(prepared.source)} → ${library} on ${prepared.vcenter}${prepared.prune ? ' (prune)' : ''}`,
    },
    // A run that continued as new holds the same input (and the memo carries over).
    requestCheck(SyncInput, syncRequestMemo, prepared, opts),
  );
}

export { syncWorkflowId };
export type { SyncInput, SyncResult };
