/**
 * Library items, their files (com.vmware.content.library.item.File) and storage (item.Storage): the
 * operations take ItemModel / FindSpec itself; the route files unwrap or pass the body.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { SimContext } from '../context';
import { fail } from '../errors';
import { corrupt } from '../faults';
import type { Item, ItemFile } from '../state';
import { isoTime, parseBody } from '../wire';
import { checkClientToken } from './token';

const ItemSpec = z.looseObject({
  library_id: z.string().min(1),
  name: z.string().min(1),
  type: z.string().optional(),
  description: z.string().optional(),
});
const FindSpec = z.looseObject({
  library_id: z.string().optional(),
  name: z.string().optional(),
  type: z.string().optional(),
});
const UpdateSpec = z.looseObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  type: z.string().optional(),
});

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

export function createItem(sim: SimContext, rawSpec: unknown, clientToken: string | undefined): string {
  const { store } = sim;
  const spec = parseBody(ItemSpec, rawSpec);
  checkClientToken(clientToken);
  const specKey = JSON.stringify([spec.library_id, spec.name, spec.type ?? '']);
  const earlier = store.lookupToken('item', clientToken, specKey);
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
  store.rememberToken('item', clientToken, specKey, item.id);
  return item.id;
}

export function listItems(sim: SimContext, libraryId: string | null): string[] {
  if (!libraryId) return fail('invalid_argument', 'GENERAL', 'library_id is required');
  sim.store.getLibrary(libraryId);
  return [...sim.store.items.values()].filter((i) => i.library_id === libraryId).map((i) => i.id);
}

export function findItems(sim: SimContext, rawSpec: unknown): string[] {
  const spec = parseBody(FindSpec, rawSpec ?? {});
  return [...sim.store.items.values()]
    .filter((i) => spec.library_id === undefined || i.library_id === spec.library_id)
    .filter((i) => spec.name === undefined || i.name === spec.name)
    .filter((i) => spec.type === undefined || i.type === spec.type)
    .map((i) => i.id);
}

export function getItem(sim: SimContext, id: string): unknown {
  return itemModel(sim.store.getItem(id));
}

export function updateItem(sim: SimContext, id: string, rawSpec: unknown): undefined {
  const item = sim.store.getItem(id);
  const spec = parseBody(UpdateSpec, rawSpec);
  if (spec.name !== undefined && spec.name !== item.name) {
    for (const other of sim.store.items.values())
      if (other.library_id === item.library_id && other.name === spec.name)
        fail('already_exists', 'GENERAL', `an item named ${spec.name} already exists`, [spec.name]);
    item.name = spec.name;
  }
  if (spec.description !== undefined) item.description = spec.description;
  if (spec.type !== undefined) item.type = spec.type;
  item.metadata_version++;
  item.last_modified_time = sim.store.now();
  return undefined;
}

export function removeItem(sim: SimContext, id: string): undefined {
  deleteItem(sim, sim.store.getItem(id));
  return undefined;
}

function required(value: string | null | undefined, name: string): string {
  if (!value) return fail('invalid_argument', 'GENERAL', `${name} is required`);
  return value;
}

export function listItemFiles(sim: SimContext, itemId: string | null): unknown[] {
  const item = sim.store.getItem(required(itemId, 'library_item_id'));
  return [...item.files.values()].map((f) => fileInfo(sim, f));
}

export function getItemFile(sim: SimContext, itemId: string, name: string | undefined): unknown {
  const item = sim.store.getItem(itemId);
  return fileInfo(sim, fileOf(item, required(name, 'name')));
}

export function listItemStorage(sim: SimContext, itemId: string | null): unknown[] {
  const item = sim.store.getItem(required(itemId, 'library_item_id'));
  return [...item.files.values()].map((f) => storageInfo(sim, item, f));
}

export function getItemStorage(sim: SimContext, itemId: string, fileName: string | undefined): unknown[] {
  const item = sim.store.getItem(itemId);
  return [storageInfo(sim, item, fileOf(item, required(fileName, 'file_name')))];
}
