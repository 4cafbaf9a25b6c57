/**
 * The wire-format mapping: every operation of the resource modules rendered in both flavours,
 * checked against the 8.0.2 spec's paths (api-8.0.2/content-library.json) and the seeds' /rest
 * paths. The modules are driven with a transport that records the Operation instead of sending
 * it; what is sent is then renderRequest's output, the same function the real transport uses.
 */
import { DownloadSessionFiles } from '../../../activities/content-library/download-session-files';
import { DownloadSessions } from '../../../activities/content-library/download-sessions';
import { ItemFiles, ItemStorage } from '../../../activities/content-library/item-files';
import { Items } from '../../../activities/content-library/items';
import { Libraries } from '../../../activities/content-library/libraries';
import type { Transport } from '../../../activities/content-library/transport';
import { UpdateSessionFiles } from '../../../activities/content-library/update-session-files';
import { UpdateSessions } from '../../../activities/content-library/update-sessions';
import {
  type Operation,
  readAnswer,
  renderRequest,
  type WireRequest,
} from '../../../activities/content-library/wire';

let recorded: Operation | undefined;
const recorder = {
  call: (op: Operation) => {
    recorded = op;
    return Promise.resolve(undefined);
  },
  callVoid: (op: Operation) => {
    recorded = op;
    return Promise.resolve();
  },
} as unknown as Transport;

const m = {
  libraries: new Libraries(recorder),
  items: new Items(recorder),
  itemFiles: new ItemFiles(recorder),
  itemStorage: new ItemStorage(recorder),
  updateSessions: new UpdateSessions(recorder),
  updateSessionFiles: new UpdateSessionFiles(recorder),
  downloadSessions: new DownloadSessions(recorder),
  downloadSessionFiles: new DownloadSessionFiles(recorder),
};

type Shown = [method: string, path: string, body?: unknown];
const show = (r: WireRequest): Shown =>
  r.body === undefined ? [r.method, r.path] : [r.method, r.path, JSON.parse(r.body) as unknown];

async function both(run: () => Promise<unknown>): Promise<{ api: Shown; rest: Shown; op: Operation }> {
  recorded = undefined;
  await run();
  const op = recorded as unknown as Operation;
  return { op, api: show(renderRequest('api', '', op)), rest: show(renderRequest('rest', '', op)) };
}

const R = '/rest/com/vmware/content';
const A = '/api/content';
const tok = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const spec = { name: 'f.ovf', source_type: 'PUSH' as const, size: 3 };

// [what, call, /api, /rest]: one row per operation.
const table: Array<[string, () => Promise<unknown>, Shown, Shown]> = [
  [
    'libraries.create',
    () => m.libraries.create({ name: 'l', datastore_id: 'ds-1' }),
    [
      'POST',
      `${A}/local-library`,
      { name: 'l', type: 'LOCAL', storage_backings: [{ type: 'DATASTORE', datastore_id: 'ds-1' }] },
    ],
    [
      'POST',
      `${R}/local-library`,
      {
        create_spec: {
          name: 'l',
          type: 'LOCAL',
          storage_backings: [{ type: 'DATASTORE', datastore_id: 'ds-1' }],
        },
      },
    ],
  ],
  ['libraries.list', () => m.libraries.list(), ['GET', `${A}/library`], ['GET', `${R}/library`]],
  [
    'libraries.get',
    () => m.libraries.get('lib 1'),
    ['GET', `${A}/library/lib%201`],
    ['GET', `${R}/library/id:lib%201`],
  ],
  [
    'libraries.find',
    () => m.libraries.find({ name: 'l' }),
    ['POST', `${A}/library?action=find`, { name: 'l' }],
    ['POST', `${R}/library?~action=find`, { spec: { name: 'l' } }],
  ],
  [
    'libraries.delete',
    () => m.libraries.delete('l1'),
    ['DELETE', `${A}/local-library/l1`],
    ['DELETE', `${R}/local-library/id:l1`],
  ],
  [
    'items.create',
    () => m.items.create({ library_id: 'l1', name: 'i' }),
    ['POST', `${A}/library/item`, { library_id: 'l1', name: 'i' }],
    ['POST', `${R}/library/item`, { create_spec: { library_id: 'l1', name: 'i' } }],
  ],
  ['items.get', () => m.items.get('i1'), ['GET', `${A}/library/item/i1`], ['GET', `${R}/library/item/id:i1`]],
  [
    'items.list',
    () => m.items.list('l1'),
    ['GET', `${A}/library/item?library_id=l1`],
    ['GET', `${R}/library/item?library_id=l1`],
  ],
  [
    'items.find',
    () => m.items.find({ library_id: 'l1', name: 'i' }),
    ['POST', `${A}/library/item?action=find`, { library_id: 'l1', name: 'i' }],
    ['POST', `${R}/library/item?~action=find`, { spec: { library_id: 'l1', name: 'i' } }],
  ],
  [
    'items.update',
    () => m.items.update('i1', { name: 'n' }),
    ['PATCH', `${A}/library/item/i1`, { name: 'n' }],
    ['PATCH', `${R}/library/item/id:i1`, { update_spec: { name: 'n' } }],
  ],
  [
    'items.delete',
    () => m.items.delete('i1'),
    ['DELETE', `${A}/library/item/i1`],
    ['DELETE', `${R}/library/item/id:i1`],
  ],
  [
    'itemFiles.list',
    () => m.itemFiles.list('i1'),
    ['GET', `${A}/library/item/i1/file`],
    ['GET', `${R}/library/item/file?library_item_id=i1`],
  ],
  [
    'itemFiles.get',
    () => m.itemFiles.get('i1', 'a b.vmdk'),
    ['GET', `${A}/library/item/i1/file?name=a+b.vmdk`],
    ['POST', `${R}/library/item/file/id:i1?~action=get`, { name: 'a b.vmdk' }],
  ],
  [
    'itemStorage.list',
    () => m.itemStorage.list('i1'),
    ['GET', `${A}/library/item/i1/storage`],
    ['GET', `${R}/library/item/storage?library_item_id=i1`],
  ],
  [
    'itemStorage.get',
    () => m.itemStorage.get('i1', 'a.vmdk'),
    ['GET', `${A}/library/item/i1/storage?file_name=a.vmdk`],
    ['POST', `${R}/library/item/storage/id:i1?~action=get`, { file_name: 'a.vmdk' }],
  ],
  [
    'updateSessions.create with a client token',
    () => m.updateSessions.create({ library_item_id: 'i1' }, tok),
    ['POST', `${A}/library/item/update-session?client_token=${tok}`, { library_item_id: 'i1' }],
    [
      'POST',
      `${R}/library/item/update-session`,
      { client_token: tok, create_spec: { library_item_id: 'i1' } },
    ],
  ],
  [
    'updateSessions.get',
    () => m.updateSessions.get('urn:s:1'),
    ['GET', `${A}/library/item/update-session/urn:s:1`],
    ['GET', `${R}/library/item/update-session/id:urn:s:1`],
  ],
  [
    'updateSessions.list',
    () => m.updateSessions.list('i1'),
    ['GET', `${A}/library/item/update-session?library_item_id=i1`],
    ['GET', `${R}/library/item/update-session?library_item_id=i1`],
  ],
  [
    'updateSessions.keepAlive',
    () => m.updateSessions.keepAlive('s1', 40),
    ['POST', `${A}/library/item/update-session/s1?action=keep-alive`, { client_progress: 40 }],
    ['POST', `${R}/library/item/update-session/id:s1?~action=keep-alive`, { client_progress: 40 }],
  ],
  [
    'updateSessions.complete',
    () => m.updateSessions.complete('s1'),
    ['POST', `${A}/library/item/update-session/s1?action=complete`],
    ['POST', `${R}/library/item/update-session/id:s1?~action=complete`],
  ],
  [
    'updateSessions.cancel',
    () => m.updateSessions.cancel('s1'),
    ['POST', `${A}/library/item/update-session/s1?action=cancel`],
    ['POST', `${R}/library/item/update-session/id:s1?~action=cancel`],
  ],
  [
    'updateSessions.fail',
    () => m.updateSessions.fail('s1', 'disk full'),
    ['POST', `${A}/library/item/update-session/s1?action=fail`, { client_error_message: 'disk full' }],
    ['POST', `${R}/library/item/update-session/id:s1?~action=fail`, { client_error_message: 'disk full' }],
  ],
  [
    'updateSessions.delete',
    () => m.updateSessions.delete('s1'),
    ['DELETE', `${A}/library/item/update-session/s1`],
    ['DELETE', `${R}/library/item/update-session/id:s1`],
  ],
  [
    'updateSessionFiles.add',
    () => m.updateSessionFiles.add('s1', spec),
    ['POST', `${A}/library/item/update-session/s1/file`, spec],
    ['POST', `${R}/library/item/updatesession/file/id:s1?~action=add`, { file_spec: spec }],
  ],
  [
    'updateSessionFiles.get',
    () => m.updateSessionFiles.get('s1', 'disk 1.vmdk'),
    ['GET', `${A}/library/item/update-session/s1/file/disk%201.vmdk`],
    ['POST', `${R}/library/item/updatesession/file/id:s1?~action=get`, { file_name: 'disk 1.vmdk' }],
  ],
  [
    'updateSessionFiles.list',
    () => m.updateSessionFiles.list('s1'),
    ['GET', `${A}/library/item/update-session/s1/file`],
    ['GET', `${R}/library/item/updatesession/file?update_session_id=s1`],
  ],
  [
    'updateSessionFiles.remove',
    () => m.updateSessionFiles.remove('s1', 'a.vmdk'),
    ['DELETE', `${A}/library/item/update-session/s1/file/a.vmdk`],
    ['POST', `${R}/library/item/updatesession/file/id:s1?~action=remove`, { file_name: 'a.vmdk' }],
  ],
  [
    'updateSessionFiles.validate',
    () => m.updateSessionFiles.validate('s1'),
    ['POST', `${A}/library/item/update-session/s1/file?action=validate`],
    ['POST', `${R}/library/item/updatesession/file/id:s1?~action=validate`],
  ],
  [
    'downloadSessions.create without a client token',
    () => m.downloadSessions.create({ library_item_id: 'i1' }),
    ['POST', `${A}/library/item/download-session`, { library_item_id: 'i1' }],
    ['POST', `${R}/library/item/download-session`, { create_spec: { library_item_id: 'i1' } }],
  ],
  [
    'downloadSessions.keepAlive',
    () => m.downloadSessions.keepAlive('d1', 10),
    ['POST', `${A}/library/item/download-session/d1?action=keep-alive`, { progress: 10 }],
    ['POST', `${R}/library/item/download-session/id:d1?~action=keep-alive`, { progress: 10 }],
  ],
  [
    'downloadSessionFiles.list',
    () => m.downloadSessionFiles.list('d1'),
    ['GET', `${A}/library/item/download-session/d1/file`],
    ['GET', `${R}/library/item/downloadsession/file?download_session_id=d1`],
  ],
  [
    'downloadSessionFiles.get',
    () => m.downloadSessionFiles.get('d1', 'a.ovf'),
    ['GET', `${A}/library/item/download-session/d1/file?file_name=a.ovf`],
    ['POST', `${R}/library/item/downloadsession/file/id:d1?~action=get`, { file_name: 'a.ovf' }],
  ],
  [
    'downloadSessionFiles.prepare',
    () => m.downloadSessionFiles.prepare('d1', 'a.ovf'),
    [
      'POST',
      `${A}/library/item/download-session/d1/file?action=prepare`,
      { file_name: 'a.ovf', endpoint_type: 'HTTPS' },
    ],
    [
      'POST',
      `${R}/library/item/downloadsession/file/id:d1?~action=prepare`,
      { file_name: 'a.ovf', endpoint_type: 'HTTPS' },
    ],
  ],
];

describe('wire format of every operation', () => {
  it.each(table)('%s', async (_what, run, api, rest) => {
    const out = await both(run);
    expect(out.api).toEqual(api);
    expect(out.rest).toEqual(rest);
  });

  it('sends the /api client token as the 8.0.2 query parameter and the later Client-Token header; /rest only in the body', async () => {
    const { op } = await both(() => m.items.create({ library_id: 'l1', name: 'i' }, tok));
    expect(renderRequest('api', '', op).headers['client-token']).toBe(tok);
    expect(renderRequest('rest', '', op).headers['client-token']).toBeUndefined();
    expect(op.replayOn401).toBe(true);
    const { op: bare } = await both(() => m.items.create({ library_id: 'l1', name: 'i' }));
    expect(bare.replayOn401).toBe(false);
  });

  it('marks the PATCH of warning_behavior as /api only (vSphere 8 added it)', async () => {
    const { op, api } = await both(() =>
      m.updateSessions.update('s1', {
        warning_behavior: [{ type: 'SELF_SIGNED_CERTIFICATE', ignored: true }],
      }),
    );
    expect(api).toEqual([
      'PATCH',
      `${A}/library/item/update-session/s1`,
      { warning_behavior: [{ type: 'SELF_SIGNED_CERTIFICATE', ignored: true }] },
    ]);
    expect(op.apiOnly).toBe(true);
  });

  it('keeps a base path in front (vCenter behind a path prefix)', async () => {
    const { op } = await both(() => m.items.get('i1'));
    expect(renderRequest('api', '/vc', op).path).toBe('/vc/api/content/library/item/i1');
    expect(renderRequest('rest', '/vc', op).path).toBe('/vc/rest/com/vmware/content/library/item/id:i1');
  });
});

describe('readAnswer', () => {
  it('unwraps /rest {"value": ...} and takes /api answers bare', () => {
    expect(readAnswer('rest', 'op', { status: 200, text: '{"value":"id-1"}' })).toBe('id-1');
    expect(readAnswer('api', 'op', { status: 201, text: '"id-1"' })).toBe('id-1');
    expect(readAnswer('api', 'op', { status: 200, text: '["a","b"]' })).toEqual(['a', 'b']);
  });

  it('reads an empty 204 (or empty 200) as no answer', () => {
    expect(readAnswer('api', 'op', { status: 204, text: '' })).toBeUndefined();
    expect(readAnswer('rest', 'op', { status: 200, text: '' })).toBeUndefined();
  });

  it('refuses a bare /rest answer and non-JSON, naming the operation', () => {
    expect(() => readAnswer('rest', 'getLibrary', { status: 200, text: '"x"' })).toThrow(
      'getLibrary: response is not a {"value": ...} object',
    );
    expect(() =>
      readAnswer('api', 'getLibrary', { status: 200, text: '<html>', contentType: 'text/html' }),
    ).toThrow('getLibrary: response is not JSON (content-type text/html)');
  });
});
