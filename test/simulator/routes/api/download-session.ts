/**
 * /api download sessions and their files (content-library.json,
 * `/api/content/library/item/download-session`): `GET /{id}/file` lists, `GET /{id}/file?file_name=`
 * gets, `POST /{id}/file?action=prepare` prepares (200 with the File.Info).
 */
import type { Route } from '../../context';
import { apiPattern } from '../../context';
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
import { A, clientToken } from './common';

const root = apiPattern('/content/library/item/download-session');
const byId = apiPattern('/content/library/item/download-session/{id}');
const files = apiPattern('/content/library/item/download-session/{id}/file');

export const apiDownloadSessionRoutes: Route[] = [
  {
    ...A,
    method: 'POST',
    path: root,
    action: null,
    op: 'downloadsession.create',
    created: true,
    handler: withBody((ctx, b) => createDownloadSession(ctx.sim, b, clientToken(ctx))),
  },
  {
    ...A,
    method: 'GET',
    path: root,
    action: null,
    op: 'downloadsession.list',
    handler: (ctx) => listDownloadSessions(ctx.sim, ctx.query.get('library_item_id')),
  },
  {
    ...A,
    method: 'GET',
    path: byId,
    action: null,
    op: 'downloadsession.get',
    handler: (ctx) => getDownloadSession(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'POST',
    path: byId,
    action: 'keep-alive',
    op: 'downloadsession.keep-alive',
    handler: withBody((ctx, b) => keepAliveDownloadSession(ctx.sim, id(ctx), b.progress)),
  },
  {
    ...A,
    method: 'POST',
    path: byId,
    action: 'cancel',
    op: 'downloadsession.cancel',
    handler: (ctx) => cancelDownloadSession(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'POST',
    path: byId,
    action: 'fail',
    op: 'downloadsession.fail',
    handler: withBody((ctx, b) =>
      failDownloadSession(ctx.sim, id(ctx), stringField(b, 'client_error_message', true)),
    ),
  },
  {
    ...A,
    method: 'DELETE',
    path: byId,
    action: null,
    op: 'downloadsession.delete',
    handler: (ctx) => deleteDownloadSession(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'GET',
    path: files,
    action: null,
    query: 'file_name',
    op: 'downloadsession.file.get',
    handler: (ctx) => getDownloadFile(ctx.sim, id(ctx), ctx.query.get('file_name') ?? ''),
  },
  {
    ...A,
    method: 'GET',
    path: files,
    action: null,
    op: 'downloadsession.file.list',
    handler: (ctx) => listDownloadFiles(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'POST',
    path: files,
    action: 'prepare',
    op: 'downloadsession.file.prepare',
    handler: withBody((ctx, b) => prepareDownloadFile(ctx.sim, id(ctx), b)),
  },
];
