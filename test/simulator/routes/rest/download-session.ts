/**
 * /rest download sessions and their files (6.6.1 wire; seed 003 shows the prepare call):
 * `create_spec` wrapper, `~action=keep-alive|cancel|fail`, files under
 * `downloadsession/file/id:<session>?~action=get|prepare`.
 */
import type { Route } from '../../context';
import { pathPattern } from '../../context';
import {
  cancelDownloadSession,
  createDownloadSession,
  deleteDownloadSession,
  failDownloadSession,
  getDownloadFile,
  getDownloadSession,
  keepAliveDownloadSession,
  listDownloadFiles,
  listDownloadSessions,
  prepareDownloadFile,
} from '../../model/download-session';
import { id, stringField, withBody } from '../body';

const root = pathPattern('/content/library/item/download-session');
const byId = pathPattern('/content/library/item/download-session/{id}');
const files = pathPattern('/content/library/item/downloadsession/file');
const filesById = pathPattern('/content/library/item/downloadsession/file/{id}');

const R = { flavour: 'rest' } as const;
export const restDownloadSessionRoutes: Route[] = [
  {
    ...R,
    method: 'POST',
    path: root,
    action: null,
    op: 'downloadsession.create',
    handler: withBody((ctx, b) =>
      createDownloadSession(ctx.sim, b.create_spec, stringField(b, 'client_token')),
    ),
  },
  {
    ...R,
    method: 'GET',
    path: root,
    action: null,
    op: 'downloadsession.list',
    handler: (ctx) => listDownloadSessions(ctx.sim, ctx.query.get('library_item_id')),
  },
  {
    ...R,
    method: 'GET',
    path: byId,
    action: null,
    op: 'downloadsession.get',
    handler: (ctx) => getDownloadSession(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'POST',
    path: byId,
    action: 'keep-alive',
    op: 'downloadsession.keep-alive',
    handler: withBody((ctx, b) =>
      keepAliveDownloadSession(ctx.sim, id(ctx), b.progress ?? b.client_progress),
    ),
  },
  {
    ...R,
    method: 'POST',
    path: byId,
    action: 'cancel',
    op: 'downloadsession.cancel',
    handler: (ctx) => cancelDownloadSession(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'POST',
    path: byId,
    action: 'fail',
    op: 'downloadsession.fail',
    handler: withBody((ctx, b) =>
      failDownloadSession(ctx.sim, id(ctx), stringField(b, 'client_error_message', true)),
    ),
  },
  {
    ...R,
    method: 'DELETE',
    path: byId,
    action: null,
    op: 'downloadsession.delete',
    handler: (ctx) => deleteDownloadSession(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'GET',
    path: files,
    action: null,
    op: 'downloadsession.file.list',
    handler: (ctx) => listDownloadFiles(ctx.sim, ctx.query.get('download_session_id')),
  },
  {
    ...R,
    method: 'POST',
    path: filesById,
    action: 'get',
    op: 'downloadsession.file.get',
    handler: withBody((ctx, b) => getDownloadFile(ctx.sim, id(ctx), stringField(b, 'file_name', true))),
  },
  {
    ...R,
    method: 'POST',
    path: filesById,
    action: 'prepare',
    op: 'downloadsession.file.prepare',
    handler: withBody((ctx, b) => prepareDownloadFile(ctx.sim, id(ctx), b)),
  },
];
