/**
 * The typed API platform services use to start uploads. The workflow id is derived
 * from the vCenter, library and item, and a second start of the same upload attaches
 * to the running one (WorkflowIdConflictPolicy.USE_EXISTING) instead of racing it.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import type { CloConfig } from '../temporal.config';
import { UploadInput, type UploadResult } from '../workflows/definitions/upload';
import type { uploadLibraryItem } from '../workflows/upload-library-item';

import { InvalidInputError } from './errors';

export { InvalidInputError };

/** How a library or item reference appears in a workflow id. */
export function refKey(ref: { id: string } | { name: string }): string {
  return 'id' in ref ? ref.id : `name:${ref.name}`;
}

/** The deterministic workflow id of an upload into one item. */
export function uploadWorkflowId(input: Pick<UploadInput, 'vcenter' | 'library' | 'item'>): string {
  return `upload/${input.vcenter}/${refKey(input.library)}/${refKey(input.item)}`;
}

/** Validates `input` (same schema as the workflow) and fills timeouts from the worker-side config. */
export function prepareUploadInput(input: UploadInput, config?: CloConfig): UploadInput {
  const parsed = UploadInput.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid upload input:\n${z.prettifyError(parsed.error)}`);
  const options = { ...parsed.data.options };
  if (config) {
    options.keepAliveIntervalMs ??= config.timeouts.keepAliveIntervalMs;
    options.heartbeatTimeoutMs ??= config.timeouts.heartbeatTimeoutMs;
  }
  return { ...parsed.data, options };
}

export interface StartUploadOptions {
  taskQueue: string;
  /** A one-line summary shown in the Web UI. @default "upload <source> → <library>/<item>" */
  summary?: string;
  config?: CloConfig;
}

/** Starts (or attaches to) the upload of `input`; returns the workflow handle. */
export async function startUpload(
  client: Client,
  input: UploadInput,
  opts: StartUploadOptions,
): Promise<WorkflowHandle<typeof uploadLibraryItem>> {
  const prepared = prepareUploadInput(input, opts.config);
  const source =
    prepared.source.kind === 'url'
      ? prepared.source.url
      : prepared.source.kind === 'library-item'
        ? `${prepared.source.vcenter}:${prepared.source.itemId}`
        : prepared.source.path.split('/').pop();
  const name = (r: { id: string } | { name: string }) => ('id' in r ? r.id : r.name);
  return await client.workflow.start<typeof uploadLibraryItem>('uploadLibraryItem', {
    taskQueue: opts.taskQueue,
    workflowId: uploadWorkflowId(prepared),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [prepared],
    staticSummary: opts.summary ?? `upload ${source} → ${name(prepared.library)}/${name(prepared.item)}`,
  });
}

export type { UploadInput, UploadResult };
