/**
 * Plans a single-file source (an ISO or anything else): the file becomes the item's
 * one file, named after it unless the caller chose a name.
 */
import { basename } from 'node:path';
import type { UploadSource } from '../../workflows/definitions/upload';
import { type CheckRead, inspectFile } from './local-files';
import { assertItemFileName } from './names';
import { itemTypeFor, type SourcePlan, wholeFile } from './plan-model';

/** The plan for `{ kind: 'file' }`: one whole file; item type `iso` for `*.iso`, else `file`. */
export async function planSingleFile(
  source: Extract<UploadSource, { kind: 'file' }>,
  checkRead?: CheckRead,
): Promise<SourcePlan> {
  const name = source.name ?? basename(source.path);
  if (source.name !== undefined) assertItemFileName(source.name, 'source.name');
  const { size } = await inspectFile(source.path, {
    field: 'source.path',
    ...(checkRead ? { checkRead } : {}),
  });
  return {
    kind: 'file',
    // An .ovf or .ova sent as a plain file stays a plain file: the caller chose kind 'file'.
    itemType: itemTypeFor(name) === 'iso' ? 'iso' : 'file',
    displayName: name,
    files: [wholeFile(name, source.path, size)],
    totalBytes: size,
  };
}
