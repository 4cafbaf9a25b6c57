/**
 * /rest update sessions and their files (6.6.1 wire): `create_spec` / `file_spec` wrappers,
 * `~action=keep-alive|complete|cancel|fail`, files under `updatesession/file/id:<session>?~action=...`.
 * The model's api-8.0.2 fields (preview_info, warning_behavior) are not part of this wire: the seeds
 * have neither, so create ignores warning_behavior and get leaves both out.
 */
import type { Route } from '../../context';
import { pathPattern } from '../../context';
import { fail } from '../../errors';
import { completeUpdateSession } from '../../model/update-complete';
import {
  addUpdateFile,
  getUpdateFile,
  listUpdateFiles,
  removeUpdateFile,
  validateUpdateFiles,
} from '../../model/update-file';
import {
  cancelUpdateSession,
  createUpdateSession,
  deleteUpdateSession,
  failUpdateSession,
  getUpdateSession,
  keepAliveUpdateSession,
  listUpdateSessions,
} from '../../model/update-session';
import { id, stringField, withBody } from '../body';

/** The 6.6.1 UpdateSessionModel: the model without the api-8.0.2 additions. */
function restModel(model: unknown): unknown {
  const rest = { ...(model as Record<string, unknown>) };
  delete rest.preview_info;
  delete rest.warning_behavior;
  return rest;
}

function createSpec(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return raw;
  const spec = { ...(raw as Record<string, unknown>) };
  delete spec.warning_behavior;
  return spec;
}

/**
 * CHECKSUM_ALGORITHMS: the 6.6.1 File.ChecksumAlgorithm is SHA1 or MD5 (seed 001) and its
 * TransferEndpoint has uri and ssl_certificate_thumbprint; SHA256/SHA512 and ssl_certificate are /api's.
 */
function restFileSpec(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return raw;
  const spec = raw as { checksum_info?: { algorithm?: unknown }; source_endpoint?: unknown };
  const algorithm = spec.checksum_info?.algorithm;
  if (algorithm !== undefined && algorithm !== 'SHA1' && algorithm !== 'MD5')
    fail(
      'invalid_argument',
      'CHECKSUM_ALGORITHMS',
      `checksum_info.algorithm ${JSON.stringify(algorithm)} is not SHA1 or MD5 (SHA256 and SHA512 are /api only)`,
    );
  if (spec.source_endpoint === null || typeof spec.source_endpoint !== 'object') return raw;
  const endpoint = { ...(spec.source_endpoint as Record<string, unknown>) };
  delete endpoint.ssl_certificate;
  return { ...spec, source_endpoint: endpoint };
}

const root = pathPattern('/content/library/item/update-session');
const byId = pathPattern('/content/library/item/update-session/{id}');
const files = pathPattern('/content/library/item/updatesession/file');
const filesById = pathPattern('/content/library/item/updatesession/file/{id}');

const R = { flavour: 'rest' } as const;
export const restUpdateSessionRoutes: Route[] = [
  {
    ...R,
    method: 'POST',
    path: root,
    action: null,
    op: 'updatesession.create',
    handler: withBody((ctx, b) =>
      createUpdateSession(ctx.sim, createSpec(b.create_spec), stringField(b, 'client_token')),
    ),
  },
  {
    ...R,
    method: 'GET',
    path: root,
    action: null,
    op: 'updatesession.list',
    handler: (ctx) => listUpdateSessions(ctx.sim, ctx.query.get('library_item_id')),
  },
  {
    ...R,
    method: 'GET',
    path: byId,
    action: null,
    op: 'updatesession.get',
    handler: (ctx) => restModel(getUpdateSession(ctx.sim, id(ctx))),
  },
  {
    ...R,
    method: 'POST',
    path: byId,
    action: 'keep-alive',
    op: 'updatesession.keep-alive',
    handler: withBody((ctx, b) => keepAliveUpdateSession(ctx.sim, id(ctx), b.client_progress ?? b.progress)),
  },
  {
    ...R,
    method: 'POST',
    path: byId,
    action: 'complete',
    op: 'updatesession.complete',
    handler: (ctx) => completeUpdateSession(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'POST',
    path: byId,
    action: 'cancel',
    op: 'updatesession.cancel',
    handler: (ctx) => cancelUpdateSession(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'POST',
    path: byId,
    action: 'fail',
    op: 'updatesession.fail',
    handler: withBody((ctx, b) =>
      failUpdateSession(ctx.sim, id(ctx), stringField(b, 'client_error_message', true)),
    ),
  },
  {
    ...R,
    method: 'DELETE',
    path: byId,
    action: null,
    op: 'updatesession.delete',
    handler: (ctx) => deleteUpdateSession(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'POST',
    path: filesById,
    action: 'add',
    op: 'updatesession.file.add',
    handler: withBody((ctx, b) => addUpdateFile(ctx.sim, id(ctx), restFileSpec(b.file_spec))),
  },
  {
    ...R,
    method: 'POST',
    path: filesById,
    action: 'get',
    op: 'updatesession.file.get',
    handler: withBody((ctx, b) => getUpdateFile(ctx.sim, id(ctx), stringField(b, 'file_name', true))),
  },
  {
    ...R,
    method: 'GET',
    path: files,
    action: null,
    op: 'updatesession.file.list',
    handler: (ctx) => listUpdateFiles(ctx.sim, ctx.query.get('update_session_id')),
  },
  {
    ...R,
    method: 'POST',
    path: filesById,
    action: 'remove',
    op: 'updatesession.file.remove',
    handler: withBody((ctx, b) => removeUpdateFile(ctx.sim, id(ctx), stringField(b, 'file_name', true))),
  },
  {
    ...R,
    method: 'POST',
    path: filesById,
    action: 'validate',
    op: 'updatesession.file.validate',
    handler: (ctx) => validateUpdateFiles(ctx.sim, id(ctx)),
  },
];
