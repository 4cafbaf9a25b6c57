/**
 * The typed API to start library syncs. The workflow id is `sync/<vcenter>/<library>`,
 * so there is one sync per target library at a time: a second start while one runs
 * attaches to it (WorkflowIdConflictPolicy.USE_EXISTING) instead of racing it.
 */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { z } from 'zod';
import type { CloConfig } from '../temporal.config';
import {
  SyncInput,
  syncWorkflowId,
  type ParsedSyncInput,
  type SyncResult,
} from '../workflows/definitions/sync';
import type { syncLibrary } from '../workflows/sync-library';
import { InvalidInputError } from './errors';

/** Validates `input` (the workflow's own schema) and fills the timeouts from the worker-side config. */
export function prepareSyncInput(input: SyncInput, config?: CloConfig): ParsedSyncInput {
  const parsed = SyncInput.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid sync input:\n${z.prettifyError(parsed.error)}`);
  const options = { ...parsed.data.options };
  if (config) {
    options.keepAliveIntervalMs ??= config.timeouts.keepAliveIntervalMs;
    options.heartbeatTimeoutMs ??= config.timeouts.heartbeatTimeoutMs;
  }
  return { ...parsed.data, options };
}

/** How a source reads in a summary line. */
export function describeSyncSource(source: SyncInput['source']): string {
  switch (source.kind) {
    case 'catalog':
      return source.path;
    case 'index':
      return source.url;
    case 'library':
      return `${source.vcenter}:${'id' in source.library ? source.library.id : source.library.name}`;
  }
}

export interface StartSyncOptions {
  taskQueue: string;
  /** A one-line summary shown in the Web UI. @default "sync <source> → <library> on <vcenter>" */
  summary?: string;
  config?: CloConfig;
}

/** Starts (or attaches to) the sync of `input`; returns the workflow handle. */
export async function startSync(
  client: Client,
  input: SyncInput,
  opts: StartSyncOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof syncLibrary>> {
  const prepared = prepareSyncInput(input, opts.config);
  const library = 'id' in prepared.library ? prepared.library.id : prepared.library.name;
  return await client.workflow.start<typeof syncLibrary>('syncLibrary', {
    taskQueue: opts.taskQueue,
    workflowId: syncWorkflowId(prepared),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [prepared],
    staticSummary:
      opts.summary ??
      `sync ${describeSyncSource(prepared.source)} → ${library} on ${prepared.vcenter}${prepared.prune ? ' (prune)' : ''}`,
  });
}

export { syncWorkflowId };
export type { SyncInput, SyncResult };
