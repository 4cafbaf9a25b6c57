/** Library items, their files (com.vmware.content.library.item.File) and storage (item.Storage). */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { RequestContext, Route, SimContext } from '../context';
import { pathPattern } from '../context';
import { fail } from '../errors';
import { corrupt } from '../faults';
import type { Item, ItemFile } from '../state';
import { isUuid, isoTime, parseBody } from '../wire';

const CreateItem = z.object({
  client_token: z.string().optional(),
  create_spec: z.looseObject({
    library_id: z.string().min(1),
    name: z.string().min(1),
    type: z.string().optional(),
    description: z.string().optional(),
  }),
});
const FindItem = z.object({
  spec: z
    .looseObject({
      library_id: z.string().optional(),
      name: z.string().optional(),
      type: z.string().optional(),
    })
    .default({}),
});
const UpdateItem = z.object({
  update_spec: z.looseObject({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    type: z.string().optional(),
  }),
});
const FileName = z.object({ name: z.string() });
const StorageFileName = z.object({ file_name: z.string() });

export function itemSize(item: Item): number {
  let size = 0;
  for (const f of item.files.values()) size += f.blob.size;
  return size;
}

export function itemModel(item: Item): unknown {
  return {
    id: item.id,
    library_id: item.library_id,
    name: item.name,
    type: item.type,
    description: item.description,
    content_version: String(item.content_version),
    metadata_version: String(item.metadata_version),
    cached: true,
    size: itemSize(item),
    creation_time: isoTime(item.creation_time),
    last_modified_time: isoTime(item.last_modified_time),
  };
}

/** SHA-1 checksum_info as the server reports it (CHECKSUM_DEFAULT_SHA1), corrupted when a fault says so. */
export function reportedChecksum(
  sim: SimContext,
  name: string,
  sha1: string,
): { algorithm: 'SHA1'; checksum: string } {
  return { algorithm: 'SHA1', checksum: sim.faults.checksumCorrupted(name) ? corrupt(sha1) : sha1 };
}

function fileInfo(sim: SimContext, f: ItemFile): unknown {
  return {
    name: f.name,
    size: f.blob.size,
    cached: true,
    version: String(f.version),
    checksum_info: reportedChecksum(sim, f.name, f.blob.sha1),
  };
}

function storageInfo(sim: SimContext, item: Item, f: ItemFile): unknown {
  const lib = sim.store.libraries.get(item.library_id);
  return {
    ...(fileInfo(sim, f) as object),
    storage_backing: lib?.storage_backings[0] ?? { type: 'DATASTORE', datastore_id: sim.datastoreId },
    storage_uris: [pathToFileURL(f.blob.path).href],
  };
}

/** Deletes an item and releases its stored files (download sessions keep their own references). */
export function deleteItem(sim: SimContext, item: Item): void {
  for (const f of item.files.values()) sim.store.release(f.blob);
  item.files.clear();
  sim.store.items.delete(item.id);
  sim.store.forgetToken(item.id);
}

function fileOf(item: Item, name: string): ItemFile {
  const f = item.files.get(name);
  // ITEM_FILE_NOT_FOUND (001): "NotFound if name refers to a file that does not exist in the library item."
  if (!f)
    return fail(
      'not_found',
      'ITEM_FILE_NOT_FOUND',
      `file ${name} does not exist in library item ${item.id}`,
      [name],
    );
  return f;
}

function queryItem(ctx: RequestContext): Item {
  const id = ctx.query.get('library_item_id');
  if (!id) return fail('invalid_argument', 'GENERAL', 'library_item_id is required');
  return ctx.sim.store.getItem(id);
}

async function create(ctx: RequestContext): Promise<unknown> {
  const { store } = ctx.sim;
  const { client_token, create_spec: spec } = parseBody(CreateItem, await ctx.body());
  if (client_token !== undefined && !isUuid(client_token))
    fail('invalid_argument', 'CLIENT_TOKEN_UUID', `client_token ${client_token} is not a UUID`, [
      client_token,
    ]);
  const specKey = JSON.stringify([spec.library_id, spec.name, spec.type ?? '']);
  const earlier = store.lookupToken('item', client_token, specKey);
  if (earlier !== undefined && store.items.has(earlier)) return earlier;
  store.getLibrary(spec.library_id);
  for (const other of store.items.values())
    if (other.library_id === spec.library_id && other.name === spec.name)
      fail(
        'already_exists',
        'GENERAL',
        `an item named ${spec.name} already exists in library ${spec.library_id}`,
        [spec.name],
      );
  const now = store.now();
  const item: Item = {
    id: randomUUID(),
    library_id: spec.library_id,
    name: spec.name,
    type: spec.type ?? '',
    description: spec.description ?? '',
    // Local items start at content version 1, as vcsim's do.
    content_version: 1,
    metadata_version: 1,
    creation_time: now,
    last_modified_time: now,
    files: new Map(),
  };
  store.items.set(item.id, item);
  store.rememberToken('item', client_token, specKey, item.id);
  return item.id;
}

function list(ctx: RequestContext): unknown {
  const libraryId = ctx.query.get('library_id');
  if (!libraryId) return fail('invalid_argument', 'GENERAL', 'library_id is required');
  ctx.sim.store.getLibrary(libraryId);
  return [...ctx.sim.store.items.values()].filter((i) => i.library_id === libraryId).map((i) => i.id);
}

async function find(ctx: RequestContext): Promise<unknown> {
  const { spec } = parseBody(FindItem, await ctx.body());
  return [...ctx.sim.store.items.values()]
    .filter((i) => spec.library_id === undefined || i.library_id === spec.library_id)
    .filter((i) => spec.name === undefined || i.name === spec.name)
    .filter((i) => spec.type === undefined || i.type === spec.type)
    .map((i) => i.id);
}

function get(ctx: RequestContext): unknown {
  return itemModel(ctx.sim.store.getItem(ctx.params[0] ?? ''));
}

async function update(ctx: RequestContext): Promise<undefined> {
  const item = ctx.sim.store.getItem(ctx.params[0] ?? '');
  const { update_spec: spec } = parseBody(UpdateItem, await ctx.body());
  if (spec.name !== undefined && spec.name !== item.name) {
    for (const other of ctx.sim.store.items.values())
      if (other.library_id === item.library_id && other.name === spec.name)
        fail('already_exists', 'GENERAL', `an item named ${spec.name} already exists`, [spec.name]);
    item.name = spec.name;
  }
  if (spec.description !== undefined) item.description = spec.description;
  if (spec.type !== undefined) item.type = spec.type;
  item.metadata_version++;
  item.last_modified_time = ctx.sim.store.now();
  return undefined;
}

function remove(ctx: RequestContext): undefined {
  deleteItem(ctx.sim, ctx.sim.store.getItem(ctx.params[0] ?? ''));
  return undefined;
}

function listFiles(ctx: RequestContext): unknown {
  return [...queryItem(ctx).files.values()].map((f) => fileInfo(ctx.sim, f));
}

async function getFile(ctx: RequestContext): Promise<unknown> {
  const item = ctx.sim.store.getItem(ctx.params[0] ?? '');
  const { name } = parseBody(FileName, await ctx.body());
  return fileInfo(ctx.sim, fileOf(item, name));
}

function listStorage(ctx: RequestContext): unknown {
  const item = queryItem(ctx);
  return [...item.files.values()].map((f) => storageInfo(ctx.sim, item, f));
}

async function getStorage(ctx: RequestContext): Promise<unknown> {
  const item = ctx.sim.store.getItem(ctx.params[0] ?? '');
  const { file_name } = parseBody(StorageFileName, await ctx.body());
  return [storageInfo(ctx.sim, item, fileOf(item, file_name))];
}

const root = pathPattern('/content/library/item');
const byId = pathPattern('/content/library/item/{id}');
const files = pathPattern('/content/library/item/file');
const fileById = pathPattern('/content/library/item/file/{id}');
const storage = pathPattern('/content/library/item/storage');
const storageById = pathPattern('/content/library/item/storage/{id}');

export const itemRoutes: Route[] = [
  { method: 'POST', path: root, action: null, op: 'item.create', handler: create },
  { method: 'POST', path: root, action: 'find', op: 'item.find', handler: find },
  { method: 'GET', path: root, action: null, op: 'item.list', handler: list },
  { method: 'GET', path: byId, action: null, op: 'item.get', handler: get },
  { method: 'PATCH', path: byId, action: null, op: 'item.update', handler: update },
  { method: 'DELETE', path: byId, action: null, op: 'item.delete', handler: remove },
  { method: 'GET', path: files, action: null, op: 'item.file.list', handler: listFiles },
  { method: 'POST', path: fileById, action: 'get', op: 'item.file.get', handler: getFile },
  { method: 'GET', path: storage, action: null, op: 'item.storage.list', handler: listStorage },
  { method: 'POST', path: storageById, action: 'get', op: 'item.storage.get', handler: getStorage },
];
