/**
 * /rest libraries, items, item files and storage (6.6.1 wire): specs wrapped as `create_spec`,
 * `update_spec`, `spec`; ids as `id:<id>`; `~action=find|get`.
 */
import type { Route } from '../../context';
import { pathPattern } from '../../context';
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
import { id, stringField, withBody } from '../body';

// Both /library and /local-library serve the same LOCAL libraries (govmomi creates on local-library).
const libRoot = /^\/rest\/com\/vmware\/content\/(?:library|local-library)$/;
const libById = /^\/rest\/com\/vmware\/content\/(?:library|local-library)\/id(?::|%3[aA])([^/]+)$/;
const itemRoot = pathPattern('/content/library/item');
const itemById = pathPattern('/content/library/item/{id}');
const files = pathPattern('/content/library/item/file');
const fileById = pathPattern('/content/library/item/file/{id}');
const storage = pathPattern('/content/library/item/storage');
const storageById = pathPattern('/content/library/item/storage/{id}');

const R = { flavour: 'rest' } as const;
export const restLibraryRoutes: Route[] = [
  {
    ...R,
    method: 'POST',
    path: libRoot,
    action: null,
    op: 'library.create',
    handler: withBody((ctx, b) => createLibrary(ctx.sim, b.create_spec, stringField(b, 'client_token'))),
  },
  {
    ...R,
    method: 'POST',
    path: libRoot,
    action: 'find',
    op: 'library.find',
    handler: withBody((ctx, b) => findLibraries(ctx.sim, b.spec)),
  },
  {
    ...R,
    method: 'GET',
    path: libRoot,
    action: null,
    op: 'library.list',
    handler: (ctx) => listLibraries(ctx.sim),
  },
  {
    ...R,
    method: 'GET',
    path: libById,
    action: null,
    op: 'library.get',
    handler: (ctx) => getLibrary(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'PATCH',
    path: libById,
    action: null,
    op: 'library.update',
    handler: withBody((ctx, b) => updateLibrary(ctx.sim, id(ctx), b.update_spec)),
  },
  {
    ...R,
    method: 'DELETE',
    path: libById,
    action: null,
    op: 'library.delete',
    handler: (ctx) => deleteLibrary(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'POST',
    path: itemRoot,
    action: null,
    op: 'item.create',
    handler: withBody((ctx, b) => createItem(ctx.sim, b.create_spec, stringField(b, 'client_token'))),
  },
  {
    ...R,
    method: 'POST',
    path: itemRoot,
    action: 'find',
    op: 'item.find',
    handler: withBody((ctx, b) => findItems(ctx.sim, b.spec)),
  },
  {
    ...R,
    method: 'GET',
    path: itemRoot,
    action: null,
    op: 'item.list',
    handler: (ctx) => listItems(ctx.sim, ctx.query.get('library_id')),
  },
  {
    ...R,
    method: 'GET',
    path: itemById,
    action: null,
    op: 'item.get',
    handler: (ctx) => getItem(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'PATCH',
    path: itemById,
    action: null,
    op: 'item.update',
    handler: withBody((ctx, b) => updateItem(ctx.sim, id(ctx), b.update_spec)),
  },
  {
    ...R,
    method: 'DELETE',
    path: itemById,
    action: null,
    op: 'item.delete',
    handler: (ctx) => removeItem(ctx.sim, id(ctx)),
  },
  {
    ...R,
    method: 'GET',
    path: files,
    action: null,
    op: 'item.file.list',
    handler: (ctx) => listItemFiles(ctx.sim, ctx.query.get('library_item_id')),
  },
  {
    ...R,
    method: 'POST',
    path: fileById,
    action: 'get',
    op: 'item.file.get',
    handler: withBody((ctx, b) => getItemFile(ctx.sim, id(ctx), stringField(b, 'name', true))),
  },
  {
    ...R,
    method: 'GET',
    path: storage,
    action: null,
    op: 'item.storage.list',
    handler: (ctx) => listItemStorage(ctx.sim, ctx.query.get('library_item_id')),
  },
  {
    ...R,
    method: 'POST',
    path: storageById,
    action: 'get',
    op: 'item.storage.get',
    handler: withBody((ctx, b) => getItemStorage(ctx.sim, id(ctx), stringField(b, 'file_name', true))),
  },
];
