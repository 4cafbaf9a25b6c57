/**
 * What an update session looks like from outside: its files as the session sees them (the item
 * snapshot overlaid by added files) and the validation the OVF "type adapter" performs.
 */
import type { SimContext } from '../context';
import { message } from '../errors';
import type { LocalizableMessage } from '../errors';
import { ovfReferencesOfFile } from '../ovf';
import type { UpdateFile, UpdateSession } from '../state';
import { reportedChecksum } from './item';

export function uploadUri(sim: SimContext, file: UpdateFile): string {
  return `${sim.url}/rest/com/vmware/cis/data/${file.transferId}/${encodeURIComponent(file.name)}`;
}

export function addedFileInfo(sim: SimContext, f: UpdateFile): unknown {
  return {
    name: f.name,
    source_type: f.source_type,
    status: f.status,
    bytes_transferred: f.bytes_transferred,
    ...(f.size !== undefined ? { size: f.size } : f.received ? { size: f.received.size } : {}),
    ...(f.checksum_info ? { checksum_info: f.checksum_info } : {}),
    ...(f.source_endpoint ? { source_endpoint: f.source_endpoint } : {}),
    ...(f.source_type === 'PUSH'
      ? {
          upload_endpoint: {
            uri: uploadUri(sim, f),
            ...(sim.thumbprint ? { ssl_certificate_thumbprint: sim.thumbprint } : {}),
          },
        }
      : {}),
    ...(f.error_message ? { error_message: f.error_message } : {}),
  };
}

/**
 * SESSION_FILE_VIEW (000): "Lists all files in the library item associated with the update session.
 * ... This list may be empty if the caller has removed all the files as part of this session".
 * Item files the session has not touched show as source_type NONE ("No source type has been requested").
 */
export function sessionView(sim: SimContext, s: UpdateSession): Map<string, unknown> {
  const view = new Map<string, unknown>();
  for (const f of s.snapshot.values()) {
    if (s.removed.has(f.name) || s.added.has(f.name)) continue;
    view.set(f.name, {
      name: f.name,
      source_type: 'NONE',
      status: 'READY',
      bytes_transferred: 0,
      size: f.size,
      checksum_info: reportedChecksum(sim, f.name, f.sha1),
    });
  }
  for (const f of s.added.values()) view.set(f.name, addedFileInfo(sim, f));
  return view;
}

export interface Validation {
  missing: string[];
  invalid: Array<{ name: string; error_message: LocalizableMessage }>;
}

/**
 * VALIDATE_MISSING (000): "In the case where a file is missing, this method will return its name in
 * the File.ValidationResult.missing_files set."
 * VALIDATE_INVALID (000): "For other type of errors, File.ValidationResult.invalid_files will contain
 * the list of invalid files."
 */
export function validateSession(sim: SimContext, s: UpdateSession): Validation {
  const missing = new Set<string>();
  const invalid: Validation['invalid'] = [];
  for (const f of s.added.values()) {
    if (f.status === 'ERROR')
      invalid.push({
        name: f.name,
        error_message: f.error_message ?? message('clsim.VALIDATE_INVALID', `${f.name} failed`),
      });
    else if (f.status !== 'READY') missing.add(f.name);
  }
  // The "type adapter" of an ovf item: files its descriptor references must be in the session view.
  const item = sim.store.items.get(s.library_item_id);
  if (item && item.type.toLowerCase() === 'ovf') {
    const names = new Set<string>([...s.snapshot.keys()].filter((n) => !s.removed.has(n)));
    for (const n of s.added.keys()) names.add(n);
    const descriptors: string[] = [];
    for (const f of s.added.values())
      if (/\.ovf$/i.test(f.name) && f.status === 'READY') descriptors.push(f.tempPath);
    for (const f of s.snapshot.values())
      if (/\.ovf$/i.test(f.name) && !s.removed.has(f.name) && !s.added.has(f.name))
        descriptors.push(f.blob.path);
    for (const d of descriptors)
      for (const ref of ovfReferencesOfFile(d)) if (!names.has(ref)) missing.add(ref);
  }
  return { missing: [...missing], invalid };
}
