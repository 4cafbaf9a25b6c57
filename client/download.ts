/**
 * The typed API platform services use to start downloads. The workflow id is derived
 * from the vCenter, library, item and destination, and a second start of the same
 * download attaches to the running one (WorkflowIdConflictPolicy.USE_EXISTING) instead
 * of racing it for the same part files.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import type { CloConfig } from '../temporal.config';
import { DownloadInput, type DownloadResult } from '../workflows/definitions/download';
import type { downloadLibraryItem } from '../workflows/download-library-item';
import { InvalidInputError } from './errors';
import { refKey } from './upload';

/** 16 hex digits of the SHA-256 of the normalised destination: stable, short, and no path in the id. */
function destinationKey(destination: string): string {
  const normalised = posix.normalize(destination).replace(/(.)\/+$/, '$1');
  return createHash('sha256').update(normalised).digest('hex').slice(0, 16);
}

/** The deterministic workflow id of a download of one item into one directory. */
export function downloadWorkflowId(
  input: Pick<DownloadInput, 'vcenter' | 'library' | 'item' | 'destination'>,
): string {
  return `download/${input.vcenter}/${refKey(input.library)}/${refKey(input.item)}/${destinationKey(input.destination)}`;
}

/** Validates `input` (same schema as the workflow) and fills timeouts from the worker-side config. */
export function prepareDownloadInput(input: DownloadInput, config?: CloConfig): DownloadInput {
  const parsed = DownloadInput.safeParse(input);
  if (!parsed.success)
    throw new InvalidInputError(`invalid download input:\n${z.prettifyError(parsed.error)}`);
  const options = { ...parsed.data.options };
  if (config) {
    options.keepAliveIntervalMs ??= config.timeouts.keepAliveIntervalMs;
    options.heartbeatTimeoutMs ??= config.timeouts.heartbeatTimeoutMs;
  }
  return { ...parsed.data, options };
}

export interface StartDownloadOptions {
  taskQueue: string;
  /** A one-line summary shown in the Web UI. @default "download <library>/<item> → <destination>" */
  summary?: string;
  config?: CloConfig;
}

/** Starts (or attaches to) the download of `input`; returns the workflow handle. */
export async function startDownload(
  client: Client,
  input: DownloadInput,
  opts: StartDownloadOptions,
): Promise<WorkflowHandle<typeof downloadLibraryItem>> {
  const prepared = prepareDownloadInput(input, opts.config);
  const name = (r: { id: string } | { name: string }) => ('id' in r ? r.id : r.name);
  return await client.workflow.start<typeof downloadLibraryItem>('downloadLibraryItem', {
    taskQueue: opts.taskQueue,
    workflowId: downloadWorkflowId(prepared),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [prepared],
    staticSummary:
      opts.summary ?? `download ${name(prepared.library)}/${name(prepared.item)} → ${prepared.destination}`,
  });
}

export type { DownloadInput, DownloadResult };
