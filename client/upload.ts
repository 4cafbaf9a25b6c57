/**
 * The typed API platform services use to start uploads. The workflow id is derived
 * from the vCenter, library and item, so one upload runs per item: a second start of the
 * same request attaches to the running one, and a start with another source (or another
 * `replace`) is refused with a RequestConflictError naming the running one, or queued
 * behind it when asked (see ./start-or-attach).
 */
import { posix } from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { z } from 'zod';
import type { CloConfig } from '../temporal.config';
import {
  UploadInput,
  uploadSourceProblem,
  type ParsedUploadInput,
  type UploadResult,
} from '../workflows/definitions/upload';
import { hashedNameKey } from '../workflows/lib/sha256';
import type { uploadLibraryItem } from '../workflows/upload-library-item';

import { InvalidInputError, RequestConflictError } from './errors';
import {
  redactUrl,
  requestMemo,
  requestCheck,
  startOrAttach,
  type RequestMemo,
  type RunningRequest,
} from './start-or-attach';

export { InvalidInputError, RequestConflictError };

/**
 * How a library or item reference appears in a workflow id. Ids are never encrypted, so with
 * `hashNames` (payload encryption on, see {@link hidesNames}) a name appears as 16 hex digits
 * of its SHA-256 instead.
 */
export function refKey(ref: { id: string } | { name: string }, hashNames = false): string {
  if ('id' in ref) return ref.id;
  return hashNames ? hashedNameKey(ref.name) : `name:${ref.name}`;
}

/**
 * Whether `client` seals payloads (codec/: encryption keys configured): then workflow ids, which
 * the server stores in plain text, carry no library or item names either.
 */
export function hidesNames(client: Client): boolean {
  return client.options.loadedDataConverter.payloadCodecs.length > 0;
}

/** The deterministic workflow id of an upload into one item. */
export function uploadWorkflowId(
  input: Pick<UploadInput, 'vcenter' | 'library' | 'item'>,
  hashNames = false,
): string {
  return `upload/${input.vcenter}/${refKey(input.library, hashNames)}/${refKey(input.item, hashNames)}`;
}

/** Validates `input` (same schema as the workflow) and fills timeouts from the worker-side config. */
export function prepareUploadInput(input: UploadInput, config?: CloConfig): ParsedUploadInput {
  const parsed = UploadInput.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid upload input:\n${z.prettifyError(parsed.error)}`);
  // Before the workflow starts, so a credential never reaches history (the workflow checks again).
  const problem = uploadSourceProblem(parsed.data.source);
  if (problem) throw new InvalidInputError(`invalid upload input: ${problem}`);
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
 * What makes two uploads into one item the same request: what ends up in the item, that
 * is the source (every field: path, URL, file name, expected size and checksum, thumbprint)
 * and `replace`. Not the options that only change how (concurrency, timeouts, take-over,
 * session restarts) nor the item's type and description, which apply only on creation.
 */
export function uploadRequestMemo(input: ParsedUploadInput): RequestMemo {
  const source =
    'path' in input.source ? { ...input.source, path: posix.normalize(input.source.path) } : input.source;
  const described =
    source.kind === 'url'
      ? `url ${redactUrl(source.url)}`
      : source.kind === 'library-item'
        ? `library-item ${source.vcenter}:${source.itemId}`
        : `${source.kind} ${source.path}`;
  const name = 'name' in source && source.name !== undefined ? ` as ${source.name}` : '';
  return requestMemo(
    'uploadLibraryItem',
    { source, replace: input.options.replace },
    `${described}${name}${input.options.replace ? ' (replace)' : ''}`,
  );
}

export interface StartUploadOptions {
  taskQueue: string;
  /** A one-line summary shown in the Web UI. @default "upload <source> → <library>/<item>" */
  summary?: string;
  config?: CloConfig;
  /**
   * When an upload of another source into the same item is running, wait for it to end and
   * then start, instead of throwing RequestConflictError. @default false
   */
  queue?: boolean;
  /** Called when the start waits behind a running upload (with `queue` only). */
  onQueued?: (running: RunningRequest) => void;
}

/**
 * Starts the upload of `input`, or attaches to the running upload of the same request;
 * throws RequestConflictError when another request's upload into the item is running.
 */
export async function startUpload(
  client: Client,
  input: UploadInput,
  opts: StartUploadOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof uploadLibraryItem>> {
  const prepared = prepareUploadInput(input, opts.config);
  const source =
    prepared.source.kind === 'url'
      ? redactUrl(prepared.source.url)
      : prepared.source.kind === 'library-item'
        ? `${prepared.source.vcenter}:${prepared.source.itemId}`
        : prepared.source.path.split('/').pop();
  const name = (r: { id: string } | { name: string }) => ('id' in r ? r.id : r.name);
  return await startOrAttach<typeof uploadLibraryItem>(
    client,
    'uploadLibraryItem',
    {
      taskQueue: opts.taskQueue,
      workflowId: uploadWorkflowId(prepared, hidesNames(client)),
      args: [prepared],
      staticSummary: opts.summary ?? `upload ${source} → ${name(prepared.library)}/${name(prepared.item)}`,
    },
    requestCheck(UploadInput, uploadRequestMemo, prepared, opts),
  );
}

export type { UploadInput, UploadResult };
