/**
 * Libraries (LOCAL, datastore-backed): create, list, get, find, update, delete. The operations take the
 * LibraryModel / FindSpec itself; the route files unwrap `{"create_spec": ...}` (/rest) or take the body
 * as it is (/api).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SimContext } from '../context';
import { fail } from '../errors';
import type { Library } from '../state';
import { isoTime, parseBody } from '../wire';
import { deleteItem } from './item';
import { checkClientToken } from './token';

const LibrarySpec = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  type: z.string().optional(),
  storage_backings: z
    .array(z.looseObject({ type: z.string().optional(), datastore_id: z.string().optional() }))
    .min(1),
});
const FindSpec = z.looseObject({ name: z.string().optional(), type: z.string().optional() });
const UpdateSpec = z.looseObject({ name: z.string().min(1).optional(), description: z.string().optional() });

export function libraryModel(lib: Library): unknown {
  return {
    id: lib.id,
    name: lib.name,
    description: lib.description,
    type: 'LOCAL',
    storage_backings: lib.storage_backings,
    creation_time: isoTime(lib.creation_time),
    last_modified_time: isoTime(lib.last_modified_time),
    version: String(lib.version),
    server_guid: lib.server_guid,
    publish_info: { published: false, authentication_method: 'NONE', persist_json_enabled: false },
  };
}

export function createLibrary(sim: SimContext, rawSpec: unknown, clientToken: string | undefined): string {
  const spec = parseBody(LibrarySpec, rawSpec);
  checkClientToken(clientToken);
  if (spec.type !== undefined && spec.type !== 'LOCAL')
    fail('invalid_argument', 'GENERAL', `library type ${spec.type} is not simulated; only LOCAL`);
  for (const b of spec.storage_backings) {
    // DATASTORE_BACKING (vcsim-notes.md): "A library created with a missing or wrong datastore id
    // crashes the handler" — we answer what a server validating its input would: InvalidArgument.
    if ((b.type ?? 'DATASTORE') !== 'DATASTORE' || b.datastore_id !== sim.datastoreId)
      fail(
        'invalid_argument',
        'DATASTORE_BACKING',
        `storage backing must be {type: DATASTORE, datastore_id: ${sim.datastoreId}}, got ${JSON.stringify(b)}`,
      );
  }
  const specKey = JSON.stringify([spec.name, spec.storage_backings]);
  const earlier = sim.store.lookupToken('library', clientToken, specKey);
  if (earlier !== undefined && sim.store.libraries.has(earlier)) return earlier;
  const now = sim.store.now();
  const lib: Library = {
    id: randomUUID(),
    name: spec.name,
    description: spec.description ?? '',
    storage_backings: [{ type: 'DATASTORE', datastore_id: sim.datastoreId }],
    creation_time: now,
    last_modified_time: now,
    version: 1,
    server_guid: randomUUID(),
  };
  sim.store.libraries.set(lib.id, lib);
  sim.store.rememberToken('library', clientToken, specKey, lib.id);
  return lib.id;
}

export function findLibraries(sim: SimContext, rawSpec: unknown): string[] {
  const spec = parseBody(FindSpec, rawSpec ?? {});
  return [...sim.store.libraries.values()]
    .filter((l) => spec.name === undefined || l.name.toLowerCase() === spec.name.toLowerCase())
    .filter(() => spec.type === undefined || spec.type === 'LOCAL')
    .map((l) => l.id);
}

export function listLibraries(sim: SimContext): string[] {
  return [...sim.store.libraries.keys()];
}

export function getLibrary(sim: SimContext, id: string): unknown {
  return libraryModel(sim.store.getLibrary(id));
}

export function updateLibrary(sim: SimContext, id: string, rawSpec: unknown): undefined {
  const lib = sim.store.getLibrary(id);
  const spec = parseBody(UpdateSpec, rawSpec);
  if (spec.name !== undefined) lib.name = spec.name;
  if (spec.description !== undefined) lib.description = spec.description;
  lib.version++;
  lib.last_modified_time = sim.store.now();
  return undefined;
}

export function deleteLibrary(sim: SimContext, id: string): undefined {
  const { store } = sim;
  const lib = store.getLibrary(id);
  for (const item of [...store.items.values()]) if (item.library_id === lib.id) deleteItem(sim, item);
  store.libraries.delete(lib.id);
  store.forgetToken(lib.id);
  return undefined;
}
