/**
 * The typed API platform services use to start downloads. The workflow id is derived
 * from the vCenter, library, item and destination, so one download runs per destination
 * and the part files are never raced for: a second start of the same request attaches to
 * the running one, and a start with another file filter (or another `overwrite`) is
 * refused with a RequestConflictError naming the running one, or queued behind it when
 * asked (see ./start-or-attach).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { z } from 'zod';
import type { CloConfig } from '../temporal.config';
import {
  DownloadInput,
  type DownloadResult,
  type ParsedDownloadInput,
} from '../workflows/definitions/download';
import type { downloadLibraryItem } from '../workflows/download-library-item';
import { InvalidInputError } from './errors';
import {
  requestCheck,
  requestMemo,
  startOrAttach,
  type RequestMemo,
  type RunningRequest,
} from './start-or-attach';
import { hidesNames, refKey } from './upload';

/** 16 hex digits of the SHA-256 of the normalised destination: stable, short, and no path in the id. */
function destinationKey(destination: string): string {
  const normalised = posix.normalize(destination).replace(/(.)\/+$/, '$1');
  return createHash('sha256').update(normalised).digest('hex').slice(0, 16);
}

/** The deterministic workflow id of a download of one item into one directory. */
export function downloadWorkflowId(
  input: Pick<DownloadInput, 'vcenter' | 'library' | 'item' | 'destination'>,
  hashNames = false,
): string {
  return `download/${input.vcenter}/${refKey(input.library, hashNames)}/${refKey(input.item, hashNames)}/${destinationKey(input.destination)}`;
}

/** Validates `input` (same schema as the workflow) and fills timeouts from the worker-side config. */
export function prepareDownloadInput(input: DownloadInput, config?: CloConfig): ParsedDownloadInput {
  const parsed = DownloadInput.safeParse(input);
  if (!parsed.success)
    throw new InvalidInputError(`invalid download input:\n${z.prettifyError(parsed.error)}`);
  const options = { ...parsed.data.options };
  if (config) {
    options.keepAliveIntervalMs ??= config.timeouts.keepAliveIntervalMs;
    options.outageBudgetMs ??= config.timeouts.outageBudgetMs;
    options.outageRetryIntervalMs ??= config.timeouts.outageRetryIntervalMs;
    options.hostWaitTimeoutMs ??= config.timeouts.hostWaitTimeoutMs;
    options.heartbeatTimeoutMs ??= config.timeouts.heartbeatTimeoutMs;
  }
  return { ...parsed.data, options };
}

/**
 * What makes two downloads of one item into one destination the same request: which files
 * land there (the filter, as a set) and `overwrite`. Not the endpoint type, concurrency or
 * timeouts, which change how the same bytes arrive.
 */
export function downloadRequestMemo(input: ParsedDownloadInput): RequestMemo {
  const files = input.files ? [...new Set(input.files)].sort() : undefined;
  const name = (r: { id: string } | { name: string }) => ('id' in r ? r.id : r.name);
  return requestMemo(
    'downloadLibraryItem',
    { files, overwrite: input.overwrite },
    `${name(input.library)}/${name(input.item)} → ${input.destination}, ` +
      `${files ? `files ${files.join(', ')}` : 'all files'}${input.overwrite ? ' (overwrite)' : ''}`,
  );
}

export interface StartDownloadOptions {
  taskQueue: string;
  /** A one-line summary shown in the Web UI. @default "download <library>/<item> → <destination>" */
  summary?: string;
  config?: CloConfig;
  /**
   * When a download with another file filter into the same destination is running, wait
   * for it to end and then start, instead of throwing RequestConflictError. @default false
   */
  queue?: boolean;
  /** Called when the start waits behind a running download (with `queue` only). */
  onQueued?: (running: RunningRequest) => void;
}

/**
 * Starts the download of `input`, or attaches to the running download of the same request;
 * throws RequestConflictError when another request's download into the destination is running.
 */
export async function startDownload(
  client: Client,
  input: DownloadInput,
  opts: StartDownloadOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof downloadLibraryItem>> {
  const prepared = prepareDownloadInput(input, opts.config);
  const name = (r: { id: string } | { name: string }) => ('id' in r ? r.id : r.name);
  return await startOrAttach<typeof downloadLibraryItem>(
    client,
    'downloadLibraryItem',
    {
      taskQueue: opts.taskQueue,
      workflowId: downloadWorkflowId(prepared, hidesNames(client)),
      args: [prepared],
      staticSummary:
        opts.summary ?? `download ${name(prepared.library)}/${name(prepared.item)} → ${prepared.destination}`,
    },
    requestCheck(DownloadInput, downloadRequestMemo, prepared, opts),
  );
}

export type { DownloadInput, DownloadResult };
