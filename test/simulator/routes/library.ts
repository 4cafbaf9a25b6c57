/** Libraries: create (LOCAL, datastore-backed), list, get, find, update, delete. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RequestContext, Route, SimContext } from '../context';
import { fail } from '../errors';
import type { Library } from '../state';
import { isUuid, isoTime, parseBody } from '../wire';
import { deleteItem } from './item';

const CreateLibrary = z.object({
  client_token: z.string().optional(),
  create_spec: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    type: z.string().optional(),
    storage_backings: z
      .array(z.looseObject({ type: z.string().optional(), datastore_id: z.string().optional() }))
      .min(1),
  }),
});

const FindLibrary = z.object({
  spec: z.looseObject({ name: z.string().optional(), type: z.string().optional() }).default({}),
});
const UpdateLibrary = z.object({
  update_spec: z.looseObject({ name: z.string().min(1).optional(), description: z.string().optional() }),
});

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

function checkToken(token: string | undefined): void {
  // CLIENT_TOKEN_UUID (001): "InvalidArgument if the client_token does not conform to the UUID format."
  if (token !== undefined && !isUuid(token))
    fail('invalid_argument', 'CLIENT_TOKEN_UUID', `client_token ${token} is not a UUID`, [token]);
}

function create(sim: SimContext, body: unknown): string {
  const { client_token, create_spec: spec } = parseBody(CreateLibrary, body);
  checkToken(client_token);
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
  const earlier = sim.store.lookupToken('library', client_token, specKey);
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
  sim.store.rememberToken('library', client_token, specKey, lib.id);
  return lib.id;
}

async function postRoot(ctx: RequestContext): Promise<unknown> {
  return create(ctx.sim, await ctx.body());
}

async function find(ctx: RequestContext): Promise<unknown> {
  const { spec } = parseBody(FindLibrary, await ctx.body());
  return [...ctx.sim.store.libraries.values()]
    .filter((l) => spec.name === undefined || l.name.toLowerCase() === spec.name.toLowerCase())
    .filter(() => spec.type === undefined || spec.type === 'LOCAL')
    .map((l) => l.id);
}

function list(ctx: RequestContext): unknown {
  return [...ctx.sim.store.libraries.keys()];
}

function get(ctx: RequestContext): unknown {
  return libraryModel(ctx.sim.store.getLibrary(ctx.params[0] ?? ''));
}

async function update(ctx: RequestContext): Promise<undefined> {
  const lib = ctx.sim.store.getLibrary(ctx.params[0] ?? '');
  const { update_spec: spec } = parseBody(UpdateLibrary, await ctx.body());
  if (spec.name !== undefined) lib.name = spec.name;
  if (spec.description !== undefined) lib.description = spec.description;
  lib.version++;
  lib.last_modified_time = ctx.sim.store.now();
  return undefined;
}

function remove(ctx: RequestContext): undefined {
  const { store } = ctx.sim;
  const lib = store.getLibrary(ctx.params[0] ?? '');
  for (const item of [...store.items.values()]) if (item.library_id === lib.id) deleteItem(ctx.sim, item);
  store.libraries.delete(lib.id);
  store.forgetToken(lib.id);
  return undefined;
}

// Both /library and /local-library serve the same LOCAL libraries (govmomi creates on local-library).
const root = /^\/rest\/com\/vmware\/content\/(?:library|local-library)$/;
const byId = /^\/rest\/com\/vmware\/content\/(?:library|local-library)\/id(?::|%3[aA])([^/]+)$/;
export const libraryRoutes: Route[] = [
  { method: 'POST', path: root, action: null, op: 'library.create', handler: postRoot },
  { method: 'POST', path: root, action: 'find', op: 'library.find', handler: find },
  { method: 'GET', path: root, action: null, op: 'library.list', handler: list },
  { method: 'GET', path: byId, action: null, op: 'library.get', handler: get },
  { method: 'PATCH', path: byId, action: null, op: 'library.update', handler: update },
  { method: 'DELETE', path: byId, action: null, op: 'library.delete', handler: remove },
];
