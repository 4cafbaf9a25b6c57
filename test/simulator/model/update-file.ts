/**
 * Update session files (item.updatesession.File): add (PUSH endpoint or PULL), get, list, remove,
 * validate. Operations take the AddSpec and file names themselves; the route files unwrap the wire.
 */
import path from 'node:path';
import { X509Certificate, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SimContext } from '../context';
import { fail } from '../errors';
import type { UpdateFile, UpdateSession } from '../state';
import { parseBody } from '../wire';
import { notActive, startPullFor } from './update-complete';
import { addedFileInfo, sessionView, validateSession } from './update-view';

const AddSpec = z.looseObject({
  name: z.string(),
  source_type: z.enum(['PUSH', 'PULL']),
  size: z.number().int().nonnegative().optional(),
  checksum_info: z
    .looseObject({ algorithm: z.enum(['SHA1', 'MD5', 'SHA256', 'SHA512']).optional(), checksum: z.string() })
    .optional(),
  source_endpoint: z
    .looseObject({
      uri: z.string(),
      ssl_certificate_thumbprint: z.string().optional(),
      ssl_certificate: z.string().optional(),
    })
    .optional(),
});

/** Session for a file operation that changes it: ACTIVE and not already completing. */
function changeableSession(sim: SimContext, id: string, what: string): UpdateSession {
  const s = sim.store.getUpdateSession(id);
  // FILE_ADD_ACTIVE (001): "Files may be uploaded by the client or pulled by the Content Library Service at this stage."
  if (s.state !== 'ACTIVE' || s.completing) notActive('FILE_ADD_ACTIVE', s, what);
  return s;
}

/** FILE_NAME_NONEMPTY (001): "It cannot be an empty string." Path-like names are refused too (FILE_SPEC_INVALID). */
function checkFileName(name: string): void {
  if (name === '') fail('invalid_argument', 'FILE_NAME_NONEMPTY', 'file name cannot be an empty string');
  if (/[/\\\0]/.test(name) || name === '.' || name === '..')
    fail(
      'invalid_argument',
      'FILE_SPEC_INVALID',
      `file name ${JSON.stringify(name)} is not a plain file name`,
      [name],
    );
}

const HEX_LENGTH = { SHA1: 40, MD5: 32, SHA256: 64, SHA512: 128 } as const;

export function addUpdateFile(sim: SimContext, id: string, rawSpec: unknown): unknown {
  const s = changeableSession(sim, id, 'file add');
  // FILE_SPEC_INVALID (000): "InvalidArgument if the file_spec is invalid."
  const spec = parseBody(AddSpec, rawSpec, 'FILE_SPEC_INVALID');
  checkFileName(spec.name);
  // METADATA_BEFORE_DESCRIPTOR (api-8.0.2 file add): an ovf item's manifest and certificate come before its descriptor.
  if (/\.(mf|cert)$/i.test(spec.name)) {
    const item = sim.store.items.get(s.library_item_id);
    const descriptor = [...s.added.keys()].find((n) => /\.ovf$/i.test(n));
    if (item?.type.toLowerCase() === 'ovf' && descriptor !== undefined)
      fail(
        'not_allowed_in_current_state',
        'METADATA_BEFORE_DESCRIPTOR',
        `${spec.name} is added after the OVF descriptor ${descriptor}; add the manifest and certificate first`,
        [spec.name, descriptor],
      );
  }
  let checksum: UpdateFile['checksum_info'];
  if (spec.checksum_info) {
    const algorithm = spec.checksum_info.algorithm ?? 'SHA1';
    if (!new RegExp(`^[0-9a-fA-F]{${HEX_LENGTH[algorithm]}}$`).test(spec.checksum_info.checksum))
      fail(
        'invalid_argument',
        'FILE_SPEC_INVALID',
        `checksum_info.checksum is not a ${algorithm} hex digest`,
        [spec.checksum_info.checksum],
      );
    checksum = { algorithm, checksum: spec.checksum_info.checksum };
  }
  if (spec.source_type === 'PULL') {
    const uri = spec.source_endpoint?.uri;
    if (!uri) return fail('invalid_argument', 'FILE_SPEC_INVALID', 'a PULL file needs source_endpoint.uri');
    let scheme: string;
    try {
      scheme = new URL(uri).protocol;
    } catch {
      return fail('invalid_argument', 'FILE_SPEC_INVALID', `source_endpoint.uri ${uri} is not a URI`, [uri]);
    }
    if (!['http:', 'https:', 'file:'].includes(scheme))
      fail(
        'invalid_argument',
        'FILE_SPEC_INVALID',
        `source_endpoint.uri scheme ${scheme} is not supported by the simulator (http, https, file)`,
        [uri],
      );
    const pem = spec.source_endpoint?.ssl_certificate;
    if (pem !== undefined) {
      try {
        new X509Certificate(pem);
      } catch {
        fail(
          'invalid_argument',
          'FILE_SPEC_INVALID',
          'source_endpoint.ssl_certificate is not a PEM certificate',
        );
      }
    }
  }
  // FILE_ADD_REPLACES (000): "If a file with the same name already exists in this session, this method will
  // be used to update the content of the existing file."
  const previous = s.added.get(spec.name);
  if (previous) {
    sim.store.discardUpdateFile(previous);
    sim.store.transfers.delete(previous.transferId);
  }
  s.removed.delete(spec.name);
  const transferId = randomUUID();
  const file: UpdateFile = {
    name: spec.name,
    source_type: spec.source_type,
    size: spec.size,
    checksum_info: checksum,
    source_endpoint:
      spec.source_type === 'PULL' && spec.source_endpoint
        ? {
            uri: spec.source_endpoint.uri,
            ...(spec.source_endpoint.ssl_certificate_thumbprint
              ? { ssl_certificate_thumbprint: spec.source_endpoint.ssl_certificate_thumbprint }
              : {}),
            ...(spec.source_endpoint.ssl_certificate
              ? { ssl_certificate: spec.source_endpoint.ssl_certificate }
              : {}),
          }
        : undefined,
    transferId,
    tempPath: path.join(sim.store.uploadDir(), transferId),
    // TRANSFER_STATUS (001): WAITING_FOR_TRANSFER "Indicates that a file has been defined for a library item
    // and its content needs to be uploaded."; a PULL is transferring from the start.
    status: spec.source_type === 'PUSH' ? 'WAITING_FOR_TRANSFER' : 'TRANSFERRING',
    bytes_transferred: 0,
    discarded: false,
  };
  s.added.set(file.name, file);
  sim.store.transfers.set(transferId, { kind: 'upload', session: s, file });
  sim.store.touch(s);
  if (file.source_type === 'PULL') startPullFor(sim, s, file);
  return addedFileInfo(sim, file);
}

export function getUpdateFile(sim: SimContext, id: string, file_name: string): unknown {
  const s = sim.store.getUpdateSession(id);
  const info = sessionView(sim, s).get(file_name);
  // FILE_NOT_IN_SESSION (000): "InvalidArgument if the file doesn’t exist in the library item associated with the update session."
  if (info === undefined)
    fail(
      'invalid_argument',
      'FILE_NOT_IN_SESSION',
      `file ${file_name} is not part of update session ${s.id}`,
      [file_name],
    );
  return info;
}

export function listUpdateFiles(sim: SimContext, id: string | null): unknown[] {
  if (!id) return fail('invalid_argument', 'GENERAL', 'update_session_id is required');
  return [...sessionView(sim, sim.store.getUpdateSession(id)).values()];
}

export function removeUpdateFile(sim: SimContext, id: string, file_name: string): undefined {
  const s = changeableSession(sim, id, 'file remove');
  const added = s.added.get(file_name);
  const inSnapshot = s.snapshot.has(file_name) && !s.removed.has(file_name);
  // FILE_NOT_IN_SESSION (000): "InvalidArgument if the file doesn’t exist in the library item associated with the update session."
  if (!added && !inSnapshot)
    fail(
      'invalid_argument',
      'FILE_NOT_IN_SESSION',
      `file ${file_name} is not part of update session ${s.id}`,
      [file_name],
    );
  if (added) {
    sim.store.discardUpdateFile(added);
    sim.store.transfers.delete(added.transferId);
    s.added.delete(file_name);
  }
  // FILE_REMOVE_AT_COMPLETE (000): "The file will only be effectively removed when the update session is completed."
  if (s.snapshot.has(file_name)) s.removed.add(file_name);
  sim.store.touch(s);
  return undefined;
}

export function validateUpdateFiles(sim: SimContext, id: string): unknown {
  const s = sim.store.getUpdateSession(id);
  // VALIDATE_ACTIVE (000): "NotAllowedInCurrentState if the update session is not in the ... ACTIVE state"
  if (s.state !== 'ACTIVE') notActive('VALIDATE_ACTIVE', s, 'validate');
  sim.store.touch(s);
  const { missing, invalid } = validateSession(sim, s);
  return {
    has_errors: missing.length > 0 || invalid.length > 0,
    missing_files: missing,
    invalid_files: invalid,
  };
}
