import {
  AddSpec,
  DownloadSessionFileInfo,
  DownloadSessionModel,
  IdList,
  ItemFileInfo,
  ItemModel,
  LibraryModel,
  LocalizableMessage,
  parseResponse,
  StorageInfo,
  TransferEndpoint,
  UpdateSessionFileInfo,
  UpdateSessionModel,
  ValidationResult,
} from '../../../activities/content-library/schemas';

// Bodies below are `value`s exactly as govmomi v0.56.0's vcsim served them.
const vcsimLibrary = {
  creation_time: '2026-11-24T21:24:42.069775734Z',
  id: '43194985-d405-458b-aa6b-6cd001387ef6',
  last_modified_time: '2026-11-24T21:24:42.069776084Z',
  name: 'lib1',
  storage_backings: [{ datastore_id: 'datastore-59', type: 'DATASTORE' }],
  type: 'LOCAL',
  unset_security_policy_id: true,
  server_guid: '9f835765-8f07-4081-8343-d0e14a8b3f19',
  state_info: { state: 'ACTIVE' },
  Item: {},
  Subs: {},
  VMTX: {},
};
const vcsimItem = {
  cached: true,
  content_version: '1',
  creation_time: '2026-11-24T21:24:42.092206619Z',
  id: 'f7b605f9-65e3-48df-915a-9edc0d6091dc',
  last_modified_time: '2026-11-24T21:24:42.092206709Z',
  library_id: '43194985-d405-458b-aa6b-6cd001387ef6',
  metadata_version: '1',
  name: 'item1',
  type: 'iso',
  File: null,
  Template: null,
};
const vcsimUpdateSession = {
  expiration_time: '2026-11-24T22:24:42.13296241Z',
  id: '26aa042b-8256-4960-a592-3dfe01ace668',
  library_item_content_version: '1',
  library_item_id: 'f7b605f9-65e3-48df-915a-9edc0d6091dc',
  state: 'ACTIVE',
};

describe('LibraryModel', () => {
  it('parses vcsim output and strips its leaked internal fields', () => {
    const lib = LibraryModel.parse(vcsimLibrary);
    expect(lib.name).toBe('lib1');
    expect(lib.type).toBe('LOCAL');
    expect(lib.storage_backings).toEqual([{ type: 'DATASTORE', datastore_id: 'datastore-59' }]);
    expect(lib).not.toHaveProperty('Item');
    expect(lib).not.toHaveProperty('VMTX');
  });

  it('keeps an unknown library type (and storage backing type) as sent and reports it', () => {
    const seen: Array<[string, string]> = [];
    const lib = parseResponse(
      LibraryModel,
      { ...vcsimLibrary, type: 'REMOTE', storage_backings: [{ type: 'VSAN_DIRECT', datastore_id: 'd' }] },
      'getLibrary',
      (field, value) => seen.push([field, value]),
    );
    expect(lib.type).toBe('REMOTE');
    expect(lib.storage_backings[0]!.type).toBe('VSAN_DIRECT');
    expect(seen).toEqual([
      ['LibraryModel.type', 'REMOTE'],
      ['StorageBacking.type', 'VSAN_DIRECT'],
    ]);
    // Known values are not reported.
    seen.length = 0;
    parseResponse(LibraryModel, vcsimLibrary, 'getLibrary', (field, value) => seen.push([field, value]));
    expect(seen).toEqual([]);
  });
});

describe('ItemModel', () => {
  it('defaults the size and cached fields Go omits when zero', () => {
    const item = ItemModel.parse({ ...vcsimItem, cached: undefined });
    expect(item.size).toBe(0);
    expect(item.cached).toBe(false);
    expect(item.content_version).toBe('1');
    expect(item).not.toHaveProperty('File');
  });

  it('requires id, library_id and name', () => {
    const noLibrary: Partial<typeof vcsimItem> = { ...vcsimItem };
    delete noLibrary.library_id;
    expect(ItemModel.safeParse(noLibrary).success).toBe(false);
  });

  it('accepts RFC 3339 times with nanoseconds, milliseconds or an offset, and rejects other formats', () => {
    for (const t of [
      '2026-11-24T21:24:42.092206619Z',
      '2019-06-13T14:56:37.520Z',
      '2026-11-24T22:24:42.1+01:00',
    ]) {
      expect(ItemModel.safeParse({ ...vcsimItem, creation_time: t }).success).toBe(true);
    }
    expect(ItemModel.safeParse({ ...vcsimItem, creation_time: 'Tue Nov 24 2026' }).success).toBe(false);
  });
});

describe('UpdateSessionModel', () => {
  it('parses vcsim output and defaults client_progress to 0', () => {
    const s = UpdateSessionModel.parse(vcsimUpdateSession);
    expect(s.state).toBe('ACTIVE');
    expect(s.client_progress).toBe(0);
    expect(s.expiration_time).toBe('2026-11-24T22:24:42.13296241Z');
  });

  it('keeps the error message of an ERROR session', () => {
    const s = UpdateSessionModel.parse({
      ...vcsimUpdateSession,
      state: 'ERROR',
      error_message: { default_message: 'checksum mismatch' },
    });
    expect(s.error_message).toEqual({ default_message: 'checksum mismatch', args: [] });
  });

  it('is strict about states', () => {
    expect(UpdateSessionModel.safeParse({ ...vcsimUpdateSession, state: 'PAUSED' }).success).toBe(false);
    expect(UpdateSessionModel.safeParse({ ...vcsimUpdateSession, state: 'active' }).success).toBe(false);
    for (const state of ['ACTIVE', 'DONE', 'ERROR', 'CANCELED']) {
      expect(UpdateSessionModel.safeParse({ ...vcsimUpdateSession, state }).success).toBe(true);
    }
  });
});

describe('DownloadSessionModel', () => {
  it('has no DONE state', () => {
    expect(DownloadSessionModel.safeParse({ ...vcsimUpdateSession, state: 'CANCELED' }).success).toBe(true);
    expect(DownloadSessionModel.safeParse({ ...vcsimUpdateSession, state: 'DONE' }).success).toBe(false);
  });
});

describe('UpdateSessionFileInfo', () => {
  it('parses a vcsim PUSH file without bytes_transferred', () => {
    const f = UpdateSessionFileInfo.parse({
      name: 'a.bin',
      source_type: 'PUSH',
      status: 'WAITING_FOR_TRANSFER',
      upload_endpoint: { uri: 'http://127.0.0.1:40065/rest/com/vmware/cis/data/10f5be16/a.bin' },
    });
    expect(f.bytes_transferred).toBe(0);
    expect(f.upload_endpoint?.uri).toMatch(/\/cis\/data\//);
  });

  it('rejects an unknown transfer status (the saga branches on it) but keeps an unknown source type', () => {
    expect(UpdateSessionFileInfo.safeParse({ name: 'a', source_type: 'PUSH', status: 'DONE' }).success).toBe(
      false,
    );
    const seen: string[] = [];
    const f = parseResponse(
      UpdateSessionFileInfo,
      { name: 'a', source_type: 'COPY', status: 'READY' },
      'getUpdateSessionFile',
      (field, value) => seen.push(`${field}=${value}`),
    );
    expect(f.source_type).toBe('COPY');
    expect(seen).toEqual(['UpdateSessionFileInfo.source_type=COPY']);
  });
});

describe('DownloadSessionFileInfo', () => {
  it('parses a prepared file with its endpoint and thumbprint', () => {
    const f = DownloadSessionFileInfo.parse({
      name: 'disk.bin',
      bytes_transferred: 0,
      status: 'PREPARED',
      download_endpoint: {
        uri: 'https://vc/rest/com/vmware/cis/data/x/disk.bin',
        ssl_certificate_thumbprint: 'AA:BB',
      },
      checksum_info: { algorithm: 'SHA1', checksum: 'abc' },
      size: 300000,
    });
    expect(f.status).toBe('PREPARED');
    expect(f.download_endpoint?.ssl_certificate_thumbprint).toBe('AA:BB');
  });

  it('rejects an unknown prepare status and checksum algorithm', () => {
    expect(DownloadSessionFileInfo.safeParse({ name: 'a', status: 'READY' }).success).toBe(false);
    expect(
      DownloadSessionFileInfo.safeParse({
        name: 'a',
        status: 'PREPARED',
        checksum_info: { algorithm: 'CRC32', checksum: 'x' },
      }).success,
    ).toBe(false);
  });
});

describe('ItemFileInfo and StorageInfo', () => {
  it('reads vcsim storage entries, whose empty checksum means none', () => {
    const s = StorageInfo.parse({
      storage_backing: { type: 'DATASTORE', datastore_id: 'datastore-59' },
      storage_uris: ['/tmp/ds/contentlib-x/y/disk.bin'],
      name: 'disk.bin',
      size: 300000,
      cached: true,
      version: '1',
      checksum_info: { checksum: '' },
    });
    expect(s.checksum_info).toBeUndefined();
    expect(s.size).toBe(300000);
  });

  it('keeps a real checksum on item files', () => {
    const f = ItemFileInfo.parse({
      name: 'a',
      size: 3,
      cached: true,
      version: '2',
      checksum_info: { algorithm: 'SHA256', checksum: 'ff' },
    });
    expect(f.checksum_info).toEqual({ algorithm: 'SHA256', checksum: 'ff' });
  });
});

describe('lists', () => {
  it('reads Go nil slices (null) and missing values as empty', () => {
    expect(IdList.parse(null)).toEqual([]);
    expect(IdList.parse(undefined)).toEqual([]);
    expect(IdList.parse(['a', 'b'])).toEqual(['a', 'b']);
    expect(IdList.safeParse([1]).success).toBe(false);
    expect(ValidationResult.parse({ has_errors: false })).toEqual({
      has_errors: false,
      missing_files: [],
      invalid_files: [],
    });
  });

  it('parses a validation result with missing and invalid files', () => {
    const v = ValidationResult.parse({
      has_errors: true,
      missing_files: ['disk.vmdk'],
      invalid_files: [{ name: 'a.ovf', error_message: { id: 'x', default_message: 'bad ovf', args: ['a'] } }],
    });
    expect(v.missing_files).toEqual(['disk.vmdk']);
    expect(v.invalid_files[0]?.error_message.default_message).toBe('bad ovf');
  });
});

describe('request specs', () => {
  it('AddSpec accepts PUSH and PULL and refuses an empty name', () => {
    expect(AddSpec.safeParse({ name: 'a', source_type: 'PUSH', size: 3 }).success).toBe(true);
    expect(
      AddSpec.safeParse({ name: 'a', source_type: 'PULL', source_endpoint: { uri: 'https://x/a' } }).success,
    ).toBe(true);
    expect(AddSpec.safeParse({ name: '', source_type: 'PUSH' }).success).toBe(false);
    expect(TransferEndpoint.safeParse({ uri: '' }).success).toBe(false);
  });

  it('LocalizableMessage tolerates a missing id', () => {
    expect(LocalizableMessage.parse({ default_message: 'm' })).toEqual({ default_message: 'm', args: [] });
  });
});

describe('parseResponse', () => {
  it('returns the parsed value', () => {
    expect(parseResponse(UpdateSessionModel, vcsimUpdateSession, 'getUpdateSession').state).toBe('ACTIVE');
  });

  it('throws a non-retryable ResponseValidationError with a prettified message naming the field', () => {
    let caught: unknown;
    try {
      parseResponse(UpdateSessionModel, { ...vcsimUpdateSession, state: 'PAUSED' }, 'getUpdateSession');
    } catch (err) {
      caught = err;
    }
    const e = caught as {
      name: string;
      code: string;
      retryable: boolean;
      operation: string;
      message: string;
    };
    expect(e.name).toBe('ResponseValidationError');
    expect(e.code).toBe('RESPONSE_VALIDATION');
    expect(e.retryable).toBe(false);
    expect(e.operation).toBe('getUpdateSession');
    expect(e.message).toContain('getUpdateSession');
    expect(e.message).toContain('✖');
    expect(e.message).toContain('→ at state');
  });
});
