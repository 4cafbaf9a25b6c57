/**
 * /api libraries, items, item files and storage (content-library.json): bodies are the specs
 * themselves, ids are path segments, `?action=find`, `get` told from `list` by `?name=` / `?file_name=`.
 * Libraries are created, updated and deleted on `/api/content/local-library` (the spec has no create or
 * delete on `/api/content/library`).
 */
import type { Route } from '../../context';
import { apiPattern } from '../../context';
import {
  createItem,
  findItems,
  getItem,
  getItemFile,
  getItemStorage,
  listItemFiles,
  listItemStorage,
  listItems,
  removeItem,
  updateItem,
} from '../../model/item';
import {
  createLibrary,
  deleteLibrary,
  findLibraries,
  getLibrary,
  listLibraries,
  updateLibrary,
} from '../../model/library';
import { id, withBody } from '../body';
import { A, clientToken } from './common';

const itemRoot = apiPattern('/content/library/item');
const itemById = apiPattern('/content/library/item/{id}');
const itemFiles = apiPattern('/content/library/item/{id}/file');
const itemStorage = apiPattern('/content/library/item/{id}/storage');
const libRoot = apiPattern('/content/library');
const libById = apiPattern('/content/library/{id}');
const localRoot = apiPattern('/content/local-library');
const localById = apiPattern('/content/local-library/{id}');

/** Item routes first: `/api/content/library/{library_id}` would otherwise take `/item` for an id. */
export const apiLibraryRoutes: Route[] = [
  {
    ...A,
    method: 'POST',
    path: itemRoot,
    action: null,
    op: 'item.create',
    created: true,
    handler: withBody((ctx, b) => createItem(ctx.sim, b, clientToken(ctx))),
  },
  {
    ...A,
    method: 'POST',
    path: itemRoot,
    action: 'find',
    op: 'item.find',
    handler: withBody((ctx, b) => findItems(ctx.sim, b)),
  },
  {
    ...A,
    method: 'GET',
    path: itemRoot,
    action: null,
    op: 'item.list',
    handler: (ctx) => listItems(ctx.sim, ctx.query.get('library_id')),
  },
  {
    ...A,
    method: 'GET',
    path: itemById,
    action: null,
    op: 'item.get',
    handler: (ctx) => getItem(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'PATCH',
    path: itemById,
    action: null,
    op: 'item.update',
    handler: withBody((ctx, b) => updateItem(ctx.sim, id(ctx), b)),
  },
  {
    ...A,
    method: 'DELETE',
    path: itemById,
    action: null,
    op: 'item.delete',
    handler: (ctx) => removeItem(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'GET',
    path: itemFiles,
    action: null,
    query: 'name',
    op: 'item.file.get',
    handler: (ctx) => getItemFile(ctx.sim, id(ctx), ctx.query.get('name') ?? undefined),
  },
  {
    ...A,
    method: 'GET',
    path: itemFiles,
    action: null,
    op: 'item.file.list',
    handler: (ctx) => listItemFiles(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'GET',
    path: itemStorage,
    action: null,
    query: 'file_name',
    op: 'item.storage.get',
    handler: (ctx) => getItemStorage(ctx.sim, id(ctx), ctx.query.get('file_name') ?? undefined),
  },
  {
    ...A,
    method: 'GET',
    path: itemStorage,
    action: null,
    op: 'item.storage.list',
    handler: (ctx) => listItemStorage(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'GET',
    path: libRoot,
    action: null,
    op: 'library.list',
    handler: (ctx) => listLibraries(ctx.sim),
  },
  {
    ...A,
    method: 'POST',
    path: libRoot,
    action: 'find',
    op: 'library.find',
    handler: withBody((ctx, b) => findLibraries(ctx.sim, b)),
  },
  {
    ...A,
    method: 'GET',
    path: libById,
    action: null,
    op: 'library.get',
    handler: (ctx) => getLibrary(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'PATCH',
    path: libById,
    action: null,
    op: 'library.update',
    handler: withBody((ctx, b) => updateLibrary(ctx.sim, id(ctx), b)),
  },
  {
    ...A,
    method: 'POST',
    path: localRoot,
    action: null,
    op: 'library.create',
    created: true,
    handler: withBody((ctx, b) => createLibrary(ctx.sim, b, clientToken(ctx))),
  },
  {
    ...A,
    method: 'GET',
    path: localRoot,
    action: null,
    op: 'library.list',
    handler: (ctx) => listLibraries(ctx.sim),
  },
  {
    ...A,
    method: 'GET',
    path: localById,
    action: null,
    op: 'library.get',
    handler: (ctx) => getLibrary(ctx.sim, id(ctx)),
  },
  {
    ...A,
    method: 'PATCH',
    path: localById,
    action: null,
    op: 'library.update',
    handler: withBody((ctx, b) => updateLibrary(ctx.sim, id(ctx), b)),
  },
  {
    ...A,
    method: 'DELETE',
    path: localById,
    action: null,
    op: 'library.delete',
    handler: (ctx) => deleteLibrary(ctx.sim, id(ctx)),
  },
];
