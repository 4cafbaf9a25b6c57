/**
 * /api update sessions and their files (content-library.json, `/api/content/library/item/update-session`):
 * the UpdateSessionModel and File.AddSpec as bodies, 201 for create and file add, 204 for actions,
 * PATCH for warning_behavior, files under `/{update_session_id}/file[/{file_name}]`.
 */
import type { Route } from '../../context';
import { apiPattern } from '../../context';
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
  updateUpdateSession,
} from '../../model/update-session';
import { id, stringField, withBody } from '../body';
import { A, clientToken } from './common';

const root = apiPattern('/content/library/item/update-session');
const byId = apiPattern('/content/library/item/update-session/{id}');
const files = apiPattern('/content/library/item/update-session/{id}/file');
const fileByName = apiPattern('/content/library/item/update-session/{id}/file/{seg}');
const fileName = (params: string[]): string => params[1] ?? '';

export const apiUpdateSessionRoutes: Route[] = [
  {
    ...A,
    method: 'POST',
    path: root,
    action: null,
    op: 'updatesession.create',
    created: true,
    handler: withBody((ctx, b) => createUpdateSession(ctx.sim, b, clientToken(ctx))),
  },
  {
    ...A,
    method: 'GET',
    path: root,
    action: null,
    op: 'updatesession.list',
    handler: (ctx) => listUpdateSessions(ctx.sim, ctx.query.get('library_item_id')),
  },
  {
    ...A,
    method: 'GET',
    path: byId,
    action: null,
    op: 'updatesession.get',
    handler: (ctx) => getUpdateSession(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'PATCH',
    path: byId,
    action: null,
    op: 'updatesession.update',
    handler: withBody((ctx, b) => updateUpdateSession(ctx.sim, id(ctx), b)),
  },
  {
    ...A,
    method: 'POST',
    path: byId,
    action: 'keep-alive',
    op: 'updatesession.keep-alive',
    handler: withBody((ctx, b) => keepAliveUpdateSession(ctx.sim, id(ctx), b.client_progress)),
  },
  {
    ...A,
    method: 'POST',
    path: byId,
    action: 'complete',
    op: 'updatesession.complete',
    handler: (ctx) => completeUpdateSession(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'POST',
    path: byId,
    action: 'cancel',
    op: 'updatesession.cancel',
    handler: (ctx) => cancelUpdateSession(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'POST',
    path: byId,
    action: 'fail',
    op: 'updatesession.fail',
    handler: withBody((ctx, b) =>
      failUpdateSession(ctx.sim, id(ctx), stringField(b, 'client_error_message', true)),
    ),
  },
  {
    ...A,
    method: 'DELETE',
    path: byId,
    action: null,
    op: 'updatesession.delete',
    handler: (ctx) => deleteUpdateSession(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'POST',
    path: files,
    action: null,
    op: 'updatesession.file.add',
    created: true,
    handler: withBody((ctx, b) => addUpdateFile(ctx.sim, id(ctx), b)),
  },
  {
    ...A,
    method: 'POST',
    path: files,
    action: 'validate',
    op: 'updatesession.file.validate',
    handler: (ctx) => validateUpdateFiles(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'GET',
    path: files,
    action: null,
    op: 'updatesession.file.list',
    handler: (ctx) => listUpdateFiles(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'GET',
    path: fileByName,
    action: null,
    op: 'updatesession.file.get',
    handler: (ctx) => getUpdateFile(ctx.sim, id(ctx), fileName(ctx.params)),
  },
  {
    ...A,
    method: 'DELETE',
    path: fileByName,
    action: null,
    op: 'updatesession.file.remove',
    handler: (ctx) => removeUpdateFile(ctx.sim, id(ctx), fileName(ctx.params)),
  },
];
