/**
 * Contract of the Content Library client: every operation of the seed API,
 * through the real client, against vcsim and against our simulator. Where vcsim
 * departs from the documented behaviour the test name says so and the test
 * checks what vcsim does instead (targets.ts lists the departures).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import {
  ContentLibraryClient,
  type ContentLibraryClientOptions,
  normalizeThumbprint,
  type TlsOptions,
  type TransferEndpoint,
  type UpdateSessionModel,
} from '../../activities/content-library';
import { stackInfo } from '../stack/stack-info';
import {
  lastToken,
  logins,
  pollUntil,
  rawStatus,
  readAll,
  recordingAgent,
  serveBytes,
  sha1,
  sleep,
  wirePaths,
} from './helpers';
import { CONTRACT_RUNS, resolvedFlavor, type TargetEnv } from './targets';

const notFound = { name: 'NotFoundError', code: 'NOT_FOUND' };
const notAllowed = { name: 'NotAllowedInCurrentStateError', code: 'NOT_ALLOWED_IN_CURRENT_STATE' };
const invalidArgument = { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT' };
const vcsimSays = (departs: boolean, vcsim: string, documented: string): string =>
  departs ? `vcsim departs: ${vcsim}` : documented;

describe.each(CONTRACT_RUNS)('ContentLibraryClient contract on %s', (_name, target, apiFlavor) => {
  const { departs } = target;
  const flavor = resolvedFlavor(target, apiFlavor);
  const wire = wirePaths(flavor);
  let env: TargetEnv;
  let client: ContentLibraryClient;
  let libraryId: string;
  // An item holding one file, for the download, item-file and storage tests.
  const payload = randomBytes(256 * 1024 + 13);
  let payloadItemId: string;
  // Sessions a test opened, ended after it so no ACTIVE session outlives its test.
  let updateSessions: string[] = [];
  let downloadSessions: string[] = [];

  const options = (): ContentLibraryClientOptions => ({
    url: env.url,
    username: env.username,
    password: env.password,
    apiFlavor,
  });

  const newItem = (type = 'iso'): Promise<string> =>
    client.createLibraryItem(
      { library_id: libraryId, name: `item-${randomUUID().slice(0, 8)}`, type },
      randomUUID(),
    );

  async function openUpdateSession(itemId: string, clientToken: string = randomUUID()): Promise<string> {
    const id = await client.createUpdateSession({ library_item_id: itemId }, clientToken);
    updateSessions.push(id);
    return id;
  }

  async function openDownloadSession(itemId: string): Promise<string> {
    const id = await client.createDownloadSession({ library_item_id: itemId }, randomUUID());
    downloadSessions.push(id);
    return id;
  }

  /** Adds a PUSH file with its size and SHA-1 and PUTs the bytes. */
  async function pushFile(sessionId: string, name: string, bytes: Buffer): Promise<void> {
    const added = await client.addUpdateSessionFile(sessionId, {
      name,
      source_type: 'PUSH',
      size: bytes.length,
      checksum_info: { algorithm: 'SHA1', checksum: sha1(bytes) },
    });
    if (!added.upload_endpoint) throw new Error(`no upload_endpoint for ${name}`);
    await client.uploadToEndpoint(added.upload_endpoint, Readable.from([bytes]), { size: bytes.length });
  }

  const updateSessionSettled = (id: string): Promise<UpdateSessionModel> =>
    pollUntil(
      () => client.getUpdateSession(id),
      (s) => s.state !== 'ACTIVE',
    );

  /** Uploads `files` into the item in one session and waits for DONE. */
  async function pushAndComplete(itemId: string, files: Record<string, Buffer>): Promise<string> {
    const id = await openUpdateSession(itemId);
    for (const [name, bytes] of Object.entries(files)) await pushFile(id, name, bytes);
    await client.completeUpdateSession(id);
    expect((await updateSessionSettled(id)).state).toBe('DONE');
    return id;
  }

  /** Prepares a file of a download session and waits for PREPARED; returns its endpoint. */
  async function prepared(
    sessionId: string,
    name: string,
    type: 'HTTPS' | 'DIRECT' = 'HTTPS',
  ): Promise<TransferEndpoint> {
    await client.prepareDownloadSessionFile(sessionId, name, type);
    const info = await pollUntil(
      () => client.getDownloadSessionFile(sessionId, name),
      (f) => f.status === 'PREPARED' || f.status === 'ERROR',
    );
    expect(info.status).toBe('PREPARED');
    if (!info.download_endpoint) throw new Error(`PREPARED ${name} has no download_endpoint`);
    return info.download_endpoint;
  }

  beforeAll(async () => {
    env = await target.start();
    client = new ContentLibraryClient(options());
    libraryId = await client.createLibrary(
      { name: `contract-${randomUUID().slice(0, 8)}`, datastore_id: env.datastore },
      randomUUID(),
    );
    payloadItemId = await newItem();
    await pushAndComplete(payloadItemId, { 'payload.bin': payload });
  });

  afterEach(async () => {
    for (const id of updateSessions) {
      await client.cancelUpdateSession(id).catch(() => undefined);
      await client.deleteUpdateSession(id).catch(() => undefined);
    }
    for (const id of downloadSessions) await client.deleteDownloadSession(id).catch(() => undefined);
    updateSessions = [];
    downloadSessions = [];
  });

  afterAll(async () => {
    if (client) {
      if (libraryId) await client.deleteLibrary(libraryId).catch(() => undefined);
      await client.logout().catch(() => undefined);
      await client.close();
    }
    await env?.close();
  });

  // ------------------------------------------------------------------ session

  describe('session', () => {
    let rec: ReturnType<typeof recordingAgent>;
    let c: ContentLibraryClient;
    beforeEach(() => {
      rec = recordingAgent();
      c = new ContentLibraryClient({ ...options(), agent: rec.agent });
    });
    afterEach(async () => {
      await c.logout().catch(() => undefined);
      await c.close();
      await rec.close();
    });

    it(`speaks ${flavor}${apiFlavor === 'auto' ? ', found by one probe of POST /api/session' : ''}`, async () => {
      await c.listLibraries();
      expect(await c.flavor()).toBe(flavor);
      const apiLogins = rec.requests.filter((r) => r.method === 'POST' && r.path === '/api/session');
      expect(apiLogins).toHaveLength(apiFlavor === 'rest' ? 0 : 1);
    });

    it('logs in once with Basic auth and sends that one session token on every later call', async () => {
      expect(c.hasSession).toBe(false);
      await c.listLibraries();
      await c.getLibrary(libraryId);
      await c.listLibraryItems(libraryId);
      expect(c.hasSession).toBe(true);
      expect(logins(rec.requests, wire.session)).toEqual([
        { method: 'POST', path: wire.session, basicAuth: true },
      ]);
      // auto's one probe of POST /api/session (404 on a /rest-only server) is not a call either.
      const calls = rec.requests.filter((r) => r.path !== wire.session && r.path !== '/api/session');
      expect(calls).toHaveLength(3);
      expect(calls[0]?.token).toMatch(/\S{8,}/);
      expect(calls.every((r) => r.token === calls[0]?.token && !r.basicAuth)).toBe(true);
    });

    it('logout ends the session on the server (its token then gets 401) and the next call logs in afresh', async () => {
      await c.listLibraries();
      const old = lastToken(rec.requests);
      await c.logout();
      expect(c.hasSession).toBe(false);
      expect(rec.requests.at(-1)).toMatchObject({ method: 'DELETE', path: wire.session, token: old });
      expect(await rawStatus(env.url, 'GET', wire.library, old)).toBe(401);

      await expect(c.getLibrary(libraryId)).resolves.toMatchObject({ id: libraryId });
      expect(logins(rec.requests, wire.session)).toHaveLength(2);
      expect(lastToken(rec.requests)).not.toBe(old);
    });

    it(`a call after the server dropped the login (${target.dropLoginHow}) logs in again transparently`, async () => {
      await c.listLibraries();
      const old = lastToken(rec.requests);
      await env.dropLogin(old);
      expect(await rawStatus(env.url, 'GET', wire.library, old)).toBe(401);

      const from = rec.requests.length;
      await expect(c.getLibrary(libraryId)).resolves.toMatchObject({ id: libraryId });
      const path = wire.libraryId(libraryId);
      const fresh = lastToken(rec.requests);
      expect(fresh).not.toBe(old);
      expect(rec.requests.slice(from)).toEqual([
        { method: 'GET', path, token: old, basicAuth: false },
        // The flavour found by the first login is remembered: no second probe of /api/session.
        { method: 'POST', path: wire.session, basicAuth: true },
        { method: 'GET', path, token: fresh, basicAuth: false },
      ]);
    });

    it('a create without client_token is not replayed after a 401: retryable UnauthenticatedError, nothing created', async () => {
      await c.listLibraries();
      await env.dropLogin(lastToken(rec.requests));
      const name = `unreplayed-${randomUUID().slice(0, 8)}`;
      await expect(c.createLibraryItem({ library_id: libraryId, name })).rejects.toMatchObject({
        name: 'UnauthenticatedError',
        code: 'UNAUTHENTICATED',
        status: 401,
        retryable: true,
      });
      expect(c.hasSession).toBe(false);
      expect(logins(rec.requests, wire.session)).toHaveLength(1);
      await expect(c.findLibraryItems({ library_id: libraryId, name })).resolves.toEqual([]);
    });

    it(
      vcsimSays(
        departs.anyCredentials,
        'any user name and password log in',
        'a wrong password fails login with UnauthenticatedError (401)',
      ),
      async () => {
        const wrong = new ContentLibraryClient({ ...options(), password: 'not-the-password' });
        try {
          if (departs.anyCredentials) {
            await wrong.login();
            expect(wrong.hasSession).toBe(true);
            await wrong.logout();
          } else {
            await expect(wrong.login()).rejects.toMatchObject({
              name: 'UnauthenticatedError',
              code: 'UNAUTHENTICATED',
              status: 401,
              operation: 'login',
            });
            expect(wrong.hasSession).toBe(false);
          }
        } finally {
          await wrong.close();
        }
      },
    );
  });

  // ------------------------------------------------------------------ libraries

  describe('libraries', () => {
    it('createLibrary makes a LOCAL library on the datastore that get, list and find return', async () => {
      const name = `Contract-Lib-${randomUUID().slice(0, 8)}`;
      const id = await client.createLibrary(
        { name, datastore_id: env.datastore, description: 'made by the contract suite' },
        randomUUID(),
      );
      try {
        expect(await client.getLibrary(id)).toMatchObject({
          id,
          name,
          type: 'LOCAL',
          description: 'made by the contract suite',
          storage_backings: [{ type: 'DATASTORE', datastore_id: env.datastore }],
        });
        expect(await client.listLibraries()).toEqual(expect.arrayContaining([id, libraryId]));
        expect(await client.findLibraries({ name: name.toLowerCase() })).toEqual([id]);
        expect(await client.findLibraries({ name, type: 'LOCAL' })).toEqual([id]);
        expect(await client.findLibraries({ name: `${name}-absent` })).toEqual([]);
      } finally {
        await client.deleteLibrary(id);
      }
    });

    it('deleteLibrary removes the library and its items (NotFound afterwards)', async () => {
      const id = await client.createLibrary(
        { name: `doomed-${randomUUID().slice(0, 8)}`, datastore_id: env.datastore },
        randomUUID(),
      );
      const itemId = await client.createLibraryItem({ library_id: id, name: 'inside' }, randomUUID());
      await client.deleteLibrary(id);
      await expect(client.getLibrary(id)).rejects.toMatchObject({ ...notFound, status: 404 });
      await expect(client.getLibraryItem(itemId)).rejects.toMatchObject(notFound);
      expect(await client.listLibraries()).not.toContain(id);
      await expect(client.deleteLibrary(id)).rejects.toMatchObject(notFound);
    });
  });

  // ------------------------------------------------------------------ items

  describe('items', () => {
    it('createLibraryItem makes an empty item that get, list and find return', async () => {
      const name = `item-${randomUUID().slice(0, 8)}`;
      const id = await client.createLibraryItem(
        { library_id: libraryId, name, type: 'iso', description: 'an ISO' },
        randomUUID(),
      );
      const item = await client.getLibraryItem(id);
      expect(item).toMatchObject({
        id,
        library_id: libraryId,
        name,
        type: 'iso',
        description: 'an ISO',
        size: 0,
      });
      expect(item.content_version).toMatch(/^\d+$/);
      expect(await client.listLibraryItems(libraryId)).toEqual(expect.arrayContaining([id, payloadItemId]));
      expect(await client.findLibraryItems({ library_id: libraryId, name })).toEqual([id]);
      expect(await client.findLibraryItems({ library_id: libraryId, type: 'iso' })).toContain(id);
      expect(await client.findLibraryItems({ library_id: libraryId, name: `${name}-absent` })).toEqual([]);
    });

    it('updateLibraryItem changes name and description', async () => {
      const id = await newItem();
      const name = `renamed-${randomUUID().slice(0, 8)}`;
      await client.updateLibraryItem(id, { name, description: 'now described' });
      expect(await client.getLibraryItem(id)).toMatchObject({ id, name, description: 'now described' });
      expect(await client.findLibraryItems({ library_id: libraryId, name })).toEqual([id]);
    });

    it('a second item with a name already used in the library gets AlreadyExists', async () => {
      const id = await newItem();
      const { name } = await client.getLibraryItem(id);
      await expect(
        client.createLibraryItem({ library_id: libraryId, name }, randomUUID()),
      ).rejects.toMatchObject({
        name: 'AlreadyExistsError',
        code: 'ALREADY_EXISTS',
        retryable: false,
      });
      expect(await client.findLibraryItems({ library_id: libraryId, name })).toEqual([id]);
    });

    it('deleteLibraryItem removes the item (NotFound afterwards)', async () => {
      const id = await newItem();
      await client.deleteLibraryItem(id);
      await expect(client.getLibraryItem(id)).rejects.toMatchObject(notFound);
      expect(await client.listLibraryItems(libraryId)).not.toContain(id);
      await expect(client.deleteLibraryItem(id)).rejects.toMatchObject(notFound);
    });
  });

  // ------------------------------------------------------------------ update sessions

  describe('update sessions', () => {
    it('createUpdateSession opens an ACTIVE session on the item that get and list return', async () => {
      const itemId = await newItem();
      const item = await client.getLibraryItem(itemId);
      const before = Date.now();
      const id = await openUpdateSession(itemId);
      const session = await client.getUpdateSession(id);
      expect(session).toMatchObject({
        library_item_id: itemId,
        state: 'ACTIVE',
        client_progress: 0,
        library_item_content_version: item.content_version,
      });
      expect(Date.parse(session.expiration_time ?? '')).toBeGreaterThan(before);
      expect(await client.listUpdateSessions(itemId)).toContain(id);
      expect(await client.listUpdateSessions()).toContain(id);
    });

    it(
      vcsimSays(
        departs.clientToken,
        'a create repeating client_token makes a second session (the token is ignored)',
        'a create repeating client_token returns the same session',
      ),
      async () => {
        const itemId = await newItem();
        const token = randomUUID();
        const first = await openUpdateSession(itemId, token);
        const second = await openUpdateSession(itemId, token);
        if (departs.clientToken) {
          expect(second).not.toBe(first);
          expect((await client.getUpdateSession(second)).state).toBe('ACTIVE');
        } else {
          expect(second).toBe(first);
        }
      },
    );

    it(
      vcsimSays(
        departs.resourceBusy,
        'a second update session on the same item is allowed (no ResourceBusy)',
        'a second update session on the same item gets ResourceBusy',
      ),
      async () => {
        const itemId = await newItem();
        const first = await openUpdateSession(itemId);
        if (departs.resourceBusy) {
          const second = await openUpdateSession(itemId);
          expect(second).not.toBe(first);
          expect((await client.getUpdateSession(first)).state).toBe('ACTIVE');
          expect((await client.getUpdateSession(second)).state).toBe('ACTIVE');
        } else {
          await expect(
            client.createUpdateSession({ library_item_id: itemId }, randomUUID()),
          ).rejects.toMatchObject({
            name: 'ResourceBusyError',
            code: 'RESOURCE_BUSY',
            retryable: true,
          });
          expect(await client.listUpdateSessions(itemId)).toEqual([first]);
        }
      },
    );

    it(
      vcsimSays(
        departs.keepAliveProgress,
        'keep-alive extends the lease but ignores client_progress (stays 0)',
        'keep-alive extends the lease and records client_progress, which must increase',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        const before = await client.getUpdateSession(id);
        await sleep(20);
        await client.keepAliveUpdateSession(id, 40);
        const after = await client.getUpdateSession(id);
        expect(Date.parse(after.expiration_time ?? '')).toBeGreaterThan(
          Date.parse(before.expiration_time ?? ''),
        );
        if (departs.keepAliveProgress) {
          expect(after.client_progress).toBe(0);
        } else {
          expect(after.client_progress).toBe(40);
          await expect(client.keepAliveUpdateSession(id, 30)).rejects.toMatchObject(invalidArgument);
          expect((await client.getUpdateSession(id)).client_progress).toBe(40);
        }
      },
    );

    it(
      vcsimSays(
        departs.pushStatus,
        'after a successful PUT the PUSH file stays WAITING_FOR_TRANSFER with bytes_transferred 0',
        'after a PUT to its upload endpoint the PUSH file is READY with bytes_transferred = size',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        const bytes = randomBytes(10_000);
        const added = await client.addUpdateSessionFile(id, {
          name: 'push.bin',
          source_type: 'PUSH',
          size: bytes.length,
          checksum_info: { algorithm: 'SHA1', checksum: sha1(bytes) },
        });
        expect(added).toMatchObject({
          name: 'push.bin',
          source_type: 'PUSH',
          status: 'WAITING_FOR_TRANSFER',
          bytes_transferred: 0,
        });
        expect(added.upload_endpoint?.uri).toMatch(/^http:\/\/.+\/push\.bin$/);

        const progress: number[] = [];
        const put = await client.uploadToEndpoint(
          added.upload_endpoint ?? '',
          Readable.from([bytes.subarray(0, 4000), bytes.subarray(4000)]),
          { size: bytes.length, onProgress: (n) => progress.push(n) },
        );
        expect(put).toEqual({ status: 200, bytes: bytes.length });
        expect(progress).toEqual([4000, bytes.length]);

        const file = await client.getUpdateSessionFile(id, 'push.bin');
        const listed = await client.listUpdateSessionFiles(id);
        expect(listed).toHaveLength(1);
        expect(listed[0]).toMatchObject({
          name: 'push.bin',
          status: file.status,
          bytes_transferred: file.bytes_transferred,
        });
        if (departs.pushStatus) {
          expect(file).toMatchObject({ status: 'WAITING_FOR_TRANSFER', bytes_transferred: 0 });
        } else {
          expect(file).toMatchObject({
            status: 'READY',
            bytes_transferred: bytes.length,
            size: bytes.length,
          });
        }
      },
    );

    it(
      vcsimSays(
        departs.validateMissing,
        'validate reports nothing missing even before the PUSH file is uploaded',
        'validate reports a PUSH file not yet uploaded as missing, and nothing once it is',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        const bytes = randomBytes(2048);
        const added = await client.addUpdateSessionFile(id, {
          name: 'later.bin',
          source_type: 'PUSH',
          size: bytes.length,
        });
        const before = await client.validateUpdateSessionFiles(id);
        if (departs.validateMissing) {
          expect(before).toEqual({ has_errors: false, missing_files: [], invalid_files: [] });
        } else {
          expect(before).toEqual({ has_errors: true, missing_files: ['later.bin'], invalid_files: [] });
        }
        await client.uploadToEndpoint(added.upload_endpoint ?? '', Readable.from([bytes]), {
          size: bytes.length,
        });
        expect(await client.validateUpdateSessionFiles(id)).toEqual({
          has_errors: false,
          missing_files: [],
          invalid_files: [],
        });
      },
    );

    it(
      vcsimSays(
        departs.visibleBeforeComplete,
        'a PUT adds the file to the item at once, before complete',
        'uploaded content stays out of the item until complete',
      ),
      async () => {
        const itemId = await newItem();
        const id = await openUpdateSession(itemId);
        await pushFile(id, 'early.bin', randomBytes(1000));
        const before = (await client.listLibraryItemFiles(itemId)).map((f) => f.name);
        if (departs.visibleBeforeComplete) expect(before).toEqual(['early.bin']);
        else expect(before).toEqual([]);
        await client.completeUpdateSession(id);
        expect((await updateSessionSettled(id)).state).toBe('DONE');
        expect((await client.listLibraryItemFiles(itemId)).map((f) => f.name)).toEqual(['early.bin']);
      },
    );

    it(
      vcsimSays(
        departs.completeAsync,
        'complete sets DONE from a background task, so DONE is polled for',
        'complete with only PUSH files leaves the session DONE when it returns',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        await pushFile(id, 'done.bin', randomBytes(1000));
        await client.completeUpdateSession(id);
        if (departs.completeAsync) {
          expect((await updateSessionSettled(id)).state).toBe('DONE');
        } else {
          expect((await client.getUpdateSession(id)).state).toBe('DONE');
        }
      },
    );

    it(
      vcsimSays(
        departs.contentVersion,
        'complete leaves the item content_version unchanged',
        'complete increments the item content_version',
      ),
      async () => {
        const itemId = await newItem();
        const before = (await client.getLibraryItem(itemId)).content_version;
        await pushAndComplete(itemId, { 'v.bin': randomBytes(100) });
        const after = (await client.getLibraryItem(itemId)).content_version;
        if (departs.contentVersion) expect(after).toBe(before);
        else expect(Number(after)).toBeGreaterThan(Number(before));
      },
    );

    it(
      vcsimSays(
        departs.itemSize,
        'the item size stays 0 whatever files it holds',
        'the item size is the sum of its file sizes',
      ),
      async () => {
        const itemId = await newItem();
        await pushAndComplete(itemId, { 'a.bin': randomBytes(1000), 'b.bin': randomBytes(234) });
        expect((await client.getLibraryItem(itemId)).size).toBe(departs.itemSize ? 0 : 1234);
        expect((await client.listLibraryItemFiles(itemId)).map((f) => f.size).sort()).toEqual(
          [1000, 234].sort(),
        );
      },
    );

    it(
      vcsimSays(
        departs.visibleBeforeComplete,
        'cancel sets CANCELED but a file already PUT stays in the item',
        'cancel sets CANCELED and discards the received content',
      ),
      async () => {
        const itemId = await newItem();
        const id = await openUpdateSession(itemId);
        await pushFile(id, 'canceled.bin', randomBytes(1000));
        await client.cancelUpdateSession(id);
        expect((await client.getUpdateSession(id)).state).toBe('CANCELED');
        const files = (await client.listLibraryItemFiles(itemId)).map((f) => f.name);
        expect(files).toEqual(departs.visibleBeforeComplete ? ['canceled.bin'] : []);
      },
    );

    it(
      vcsimSays(
        departs.stateChecks,
        'a CANCELED session accepts keep-alive and complete, and becomes DONE',
        'a CANCELED session refuses keep-alive, complete and fail with NotAllowedInCurrentState',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        await client.cancelUpdateSession(id);
        if (departs.stateChecks) {
          await client.keepAliveUpdateSession(id);
          await client.completeUpdateSession(id);
          expect(
            (
              await pollUntil(
                () => client.getUpdateSession(id),
                (s) => s.state === 'DONE',
              )
            ).state,
          ).toBe('DONE');
        } else {
          await expect(client.keepAliveUpdateSession(id)).rejects.toMatchObject(notAllowed);
          await expect(client.completeUpdateSession(id)).rejects.toMatchObject({
            ...notAllowed,
            retryable: false,
          });
          await expect(client.failUpdateSession(id, 'too late')).rejects.toMatchObject(notAllowed);
          expect((await client.getUpdateSession(id)).state).toBe('CANCELED');
        }
      },
    );

    it(
      vcsimSays(
        departs.failMessage,
        'fail sets ERROR but drops the client_error_message',
        'fail sets ERROR with the client_error_message',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        await client.failUpdateSession(id, 'source disappeared');
        const session = await client.getUpdateSession(id);
        expect(session.state).toBe('ERROR');
        if (departs.failMessage) expect(session.error_message).toBeUndefined();
        else expect(session.error_message?.default_message).toBe('source disappeared');
      },
    );

    it(
      vcsimSays(
        departs.stateChecks,
        'an ACTIVE update session can be deleted',
        'delete of an ACTIVE update session gets NotAllowedInCurrentState; once canceled it deletes',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        if (departs.stateChecks) {
          await client.deleteUpdateSession(id);
        } else {
          await expect(client.deleteUpdateSession(id)).rejects.toMatchObject(notAllowed);
          await client.cancelUpdateSession(id);
          await client.deleteUpdateSession(id);
        }
        await expect(client.getUpdateSession(id)).rejects.toMatchObject(notFound);
        expect(await client.listUpdateSessions()).not.toContain(id);
      },
    );

    it(
      vcsimSays(
        departs.expiry,
        'an idle update session gets a fixed one-hour lease and is not expired by idleness',
        'an idle update session expires after the idle timeout and is deleted (NotFound)',
      ),
      async () => {
        const itemId = await newItem();
        if (departs.expiry) {
          const id = await openUpdateSession(itemId);
          const lease = Date.parse((await client.getUpdateSession(id)).expiration_time ?? '') - Date.now();
          expect(lease).toBeGreaterThan(59 * 60_000);
          expect(lease).toBeLessThanOrEqual(60 * 60_000);
          await sleep(600);
          expect((await client.getUpdateSession(id)).state).toBe('ACTIVE');
        } else {
          if (!env.setSessionIdleTimeout)
            throw new Error('this target cannot shorten the session idle timeout');
          // 1.5 s rather than less: the create and the get that follows must fit in one timeout even on
          // a loaded CI machine (a 400 ms one elsewhere was once exceeded between two calls).
          const restore = env.setSessionIdleTimeout(1500);
          try {
            const id = await openUpdateSession(itemId);
            const lease = Date.parse((await client.getUpdateSession(id)).expiration_time ?? '') - Date.now();
            expect(lease).toBeLessThanOrEqual(1500);
            await sleep(2000);
            await expect(client.getUpdateSession(id)).rejects.toMatchObject(notFound);
          } finally {
            restore();
          }
        }
      },
    );

    it(
      vcsimSays(
        departs.listFilter,
        'listUpdateSessions ignores library_item_id: other items\u2019 sessions come back, an unknown item is no error',
        'listUpdateSessions(library_item_id) returns only that item\u2019s sessions; an unknown item gets NotFound',
      ),
      async () => {
        const a = await openUpdateSession(await newItem());
        const itemB = await newItem();
        const b = await openUpdateSession(itemB);
        const itemA = (await client.getUpdateSession(a)).library_item_id;
        const listed = await client.listUpdateSessions(itemA);
        expect(listed).toContain(a);
        if (departs.listFilter) {
          expect(listed).toContain(b);
          expect(await client.listUpdateSessions(randomUUID())).toEqual(expect.arrayContaining([a, b]));
        } else {
          expect(listed).toEqual([a]);
          await expect(client.listUpdateSessions(randomUUID())).rejects.toMatchObject(notFound);
        }
      },
    );

    it(
      vcsimSays(
        departs.fileRemoveDeletesSession,
        'removeUpdateSessionFile deletes the whole session (NotFound afterwards)',
        'removeUpdateSessionFile drops the file from the session, which stays ACTIVE',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        await client.addUpdateSessionFile(id, { name: 'keep.bin', source_type: 'PUSH', size: 1 });
        await client.addUpdateSessionFile(id, { name: 'drop.bin', source_type: 'PUSH', size: 1 });
        await client.removeUpdateSessionFile(id, 'drop.bin');
        if (departs.fileRemoveDeletesSession) {
          await expect(client.getUpdateSession(id)).rejects.toMatchObject(notFound);
        } else {
          expect((await client.getUpdateSession(id)).state).toBe('ACTIVE');
          expect((await client.listUpdateSessionFiles(id)).map((f) => f.name)).toEqual(['keep.bin']);
          await expect(client.getUpdateSessionFile(id, 'drop.bin')).rejects.toMatchObject(invalidArgument);
        }
      },
    );

    it(
      vcsimSays(
        departs.pullProgress,
        'a PULL from a local HTTP server ends READY with bytes_transferred still 0; complete puts the file in the item',
        'a PULL from a local HTTP server ends READY with bytes_transferred = size; complete puts the file in the item',
      ),
      async () => {
        const bytes = randomBytes(100_000);
        const source = await serveBytes(bytes);
        try {
          const itemId = await newItem();
          const id = await openUpdateSession(itemId);
          const added = await client.addUpdateSessionFile(id, {
            name: 'pulled.bin',
            source_type: 'PULL',
            source_endpoint: { uri: `${source.url}/pulled.bin` },
            checksum_info: { algorithm: 'SHA1', checksum: sha1(bytes) },
          });
          expect(added).toMatchObject({ name: 'pulled.bin', source_type: 'PULL', status: 'TRANSFERRING' });
          expect(added.upload_endpoint).toBeUndefined();
          const file = await pollUntil(
            () => client.getUpdateSessionFile(id, 'pulled.bin'),
            (f) => f.status !== 'TRANSFERRING',
          );
          expect(file.status).toBe('READY');
          expect(file.bytes_transferred).toBe(departs.pullProgress ? 0 : bytes.length);
          expect(source.gets()).toBe(1);

          await client.completeUpdateSession(id);
          expect((await updateSessionSettled(id)).state).toBe('DONE');
          expect(await client.listLibraryItemFiles(itemId)).toEqual([
            expect.objectContaining({ name: 'pulled.bin', size: bytes.length }),
          ]);
          const download = await openDownloadSession(itemId);
          const res = await client.downloadFromEndpoint(await prepared(download, 'pulled.bin'));
          expect(sha1(await readAll(res.body))).toBe(sha1(bytes));
        } finally {
          await source.close();
        }
      },
    );

    it('complete with a PULL still in flight returns at once; the session turns DONE only when the PULL ends', async () => {
      const bytes = randomBytes(200_000);
      const source = await serveBytes(bytes, { holdAfter: 50_000 });
      try {
        const itemId = await newItem();
        const id = await openUpdateSession(itemId);
        await client.addUpdateSessionFile(id, {
          name: 'slow.bin',
          source_type: 'PULL',
          source_endpoint: { uri: `${source.url}/slow.bin` },
        });
        expect(
          await pollUntil(
            () => Promise.resolve(source.gets()),
            (n) => n > 0,
          ),
        ).toBe(1);
        await client.completeUpdateSession(id);
        await sleep(100);
        expect((await client.getUpdateSession(id)).state).toBe('ACTIVE');
        expect((await client.getUpdateSessionFile(id, 'slow.bin')).status).toBe('TRANSFERRING');
        source.release();
        expect((await updateSessionSettled(id)).state).toBe('DONE');
        expect(await client.listLibraryItemFiles(itemId)).toEqual([
          expect.objectContaining({ name: 'slow.bin', size: bytes.length }),
        ]);
      } finally {
        await source.close();
      }
    });

    it(
      vcsimSays(
        departs.unknownFileName,
        'getUpdateSessionFile of an unknown name answers 200 without a value (ResponseValidationError)',
        'getUpdateSessionFile of an unknown name gets InvalidArgument',
      ),
      async () => {
        const id = await openUpdateSession(await newItem());
        await expect(client.getUpdateSessionFile(id, 'never-added.bin')).rejects.toMatchObject(
          departs.unknownFileName
            ? { name: 'ResponseValidationError', code: 'RESPONSE_VALIDATION', status: 200 }
            : invalidArgument,
        );
      },
    );

    it(
      vcsimSays(
        departs.unknownItemCrash,
        'createUpdateSession on an unknown item crashes the handler: the connection drops (TransportError)',
        'createUpdateSession on an unknown item gets NotFound',
      ),
      async () => {
        const create = client.createUpdateSession({ library_item_id: randomUUID() }, randomUUID());
        if (departs.unknownItemCrash) {
          await expect(create).rejects.toMatchObject({
            name: 'TransportError',
            code: 'TRANSPORT',
            retryable: true,
          });
          // The server lives on: the next call works.
          expect(await client.listLibraries()).toContain(libraryId);
        } else {
          await expect(create).rejects.toMatchObject({ ...notFound, status: 404 });
        }
      },
    );
  });

  // ------------------------------------------------------------------ download sessions

  describe('download sessions', () => {
    it('createDownloadSession opens an ACTIVE session on the item that get and list return', async () => {
      const item = await client.getLibraryItem(payloadItemId);
      const id = await openDownloadSession(payloadItemId);
      expect(await client.getDownloadSession(id)).toMatchObject({
        library_item_id: payloadItemId,
        state: 'ACTIVE',
        client_progress: 0,
        library_item_content_version: item.content_version,
      });
      expect(await client.listDownloadSessions()).toContain(id);
      expect(await client.listDownloadSessions(payloadItemId)).toContain(id);
    });

    it('listDownloadSessionFiles lists the item\u2019s files UNPREPARED, without an endpoint; get agrees', async () => {
      const id = await openDownloadSession(payloadItemId);
      const files = await client.listDownloadSessionFiles(id);
      expect(files).toEqual([expect.objectContaining({ name: 'payload.bin', status: 'UNPREPARED' })]);
      expect(files[0]?.download_endpoint).toBeUndefined();
      expect(await client.getDownloadSessionFile(id, 'payload.bin')).toMatchObject({
        name: 'payload.bin',
        status: 'UNPREPARED',
      });
    });

    it(
      vcsimSays(
        departs.prepareImmediate,
        'prepare answers PREPARED at once, with the download endpoint',
        'prepare answers PREPARE_REQUESTED without an endpoint, then the file becomes PREPARED with endpoint and size',
      ),
      async () => {
        const id = await openDownloadSession(payloadItemId);
        const first = await client.prepareDownloadSessionFile(id, 'payload.bin');
        if (departs.prepareImmediate) {
          expect(first.status).toBe('PREPARED');
          expect(first.download_endpoint?.uri).toMatch(/^http:\/\/.+\/payload\.bin$/);
        } else {
          expect(['PREPARE_REQUESTED', 'PREPARING']).toContain(first.status);
          expect(first.download_endpoint).toBeUndefined();
          const seen = new Set<string>([first.status]);
          const final = await pollUntil(
            () => client.getDownloadSessionFile(id, 'payload.bin'),
            (f) => {
              seen.add(f.status);
              return f.status === 'PREPARED' || f.status === 'ERROR';
            },
          );
          expect(final).toMatchObject({ status: 'PREPARED', size: payload.length });
          expect(final.download_endpoint?.uri).toMatch(/^http:\/\/.+\/payload\.bin$/);
          expect([...seen].every((s) => ['PREPARE_REQUESTED', 'PREPARING', 'PREPARED'].includes(s))).toBe(
            true,
          );
        }
      },
    );

    it('downloadFromEndpoint streams the whole file (200) with identical bytes', async () => {
      const id = await openDownloadSession(payloadItemId);
      const res = await client.downloadFromEndpoint(await prepared(id, 'payload.bin'));
      expect(res).toMatchObject({ status: 200, rangeHonoured: true });
      const body = await readAll(res.body);
      expect(body.length).toBe(payload.length);
      expect(sha1(body)).toBe(sha1(payload));
      expect(res.contentLength ?? payload.length).toBe(payload.length);
    });

    it(
      vcsimSays(
        departs.range,
        'Range is ignored: 200 with the whole file (rangeHonoured false)',
        'a ranged download gets 206 from the asked offset (rangeHonoured), closed and open-ended',
      ),
      async () => {
        const id = await openDownloadSession(payloadItemId);
        const endpoint = await prepared(id, 'payload.bin');
        const closed = await client.downloadFromEndpoint(endpoint, { range: { start: 1000, end: 4999 } });
        const closedBody = await readAll(closed.body);
        const open = await client.downloadFromEndpoint(endpoint, { range: { start: 200_000 } });
        const openBody = await readAll(open.body);
        if (departs.range) {
          expect(closed).toMatchObject({ status: 200, rangeHonoured: false });
          expect(closedBody.equals(payload)).toBe(true);
          expect(open).toMatchObject({ status: 200, rangeHonoured: false });
          expect(openBody.equals(payload)).toBe(true);
        } else {
          expect(closed).toMatchObject({ status: 206, rangeHonoured: true, contentLength: 4000 });
          expect(closedBody.equals(payload.subarray(1000, 5000))).toBe(true);
          expect(open).toMatchObject({ status: 206, rangeHonoured: true });
          expect(openBody.equals(payload.subarray(200_000))).toBe(true);
        }
      },
    );

    it(
      vcsimSays(
        departs.directEndpoint,
        'prepare ignores DIRECT and gives its HTTP data URL, which downloads the file',
        'prepare with DIRECT gives a file:// URI of the stored bytes, which downloadFromEndpoint refuses (InvalidArgument)',
      ),
      async () => {
        const id = await openDownloadSession(payloadItemId);
        const endpoint = await prepared(id, 'payload.bin', 'DIRECT');
        if (departs.directEndpoint) {
          expect(endpoint.uri).toMatch(/^http:\/\//);
          const res = await client.downloadFromEndpoint(endpoint);
          expect(sha1(await readAll(res.body))).toBe(sha1(payload));
        } else {
          expect(endpoint.uri).toMatch(/^file:\/\//);
          await expect(client.downloadFromEndpoint(endpoint)).rejects.toMatchObject(invalidArgument);
          expect(sha1(await readFile(fileURLToPath(endpoint.uri)))).toBe(sha1(payload));
        }
      },
    );

    it(
      vcsimSays(
        departs.keepAliveProgress,
        'download keep-alive extends the lease but ignores the progress (stays 0)',
        'download keep-alive extends the lease and records the progress',
      ),
      async () => {
        const id = await openDownloadSession(payloadItemId);
        const before = await client.getDownloadSession(id);
        await sleep(20);
        await client.keepAliveDownloadSession(id, 25);
        const after = await client.getDownloadSession(id);
        expect(Date.parse(after.expiration_time ?? '')).toBeGreaterThan(
          Date.parse(before.expiration_time ?? ''),
        );
        expect(after.client_progress).toBe(departs.keepAliveProgress ? 0 : 25);
      },
    );

    it(
      vcsimSays(
        departs.downloadCancelDeletes,
        'cancel deletes the download session (NotFound), and its URL answers NotFound',
        'cancel leaves the download session CANCELED, and its URL answers NotFound',
      ),
      async () => {
        const id = await openDownloadSession(payloadItemId);
        const endpoint = await prepared(id, 'payload.bin');
        await client.cancelDownloadSession(id);
        if (departs.downloadCancelDeletes)
          await expect(client.getDownloadSession(id)).rejects.toMatchObject(notFound);
        else expect((await client.getDownloadSession(id)).state).toBe('CANCELED');
        await expect(client.downloadFromEndpoint(endpoint)).rejects.toMatchObject(notFound);
      },
    );

    it(
      vcsimSays(
        departs.downloadCancelDeletes,
        'fail deletes the download session (NotFound)',
        'fail leaves the download session in ERROR with the client_error_message',
      ),
      async () => {
        const id = await openDownloadSession(payloadItemId);
        await client.failDownloadSession(id, 'disk full on the client');
        if (departs.downloadCancelDeletes) {
          await expect(client.getDownloadSession(id)).rejects.toMatchObject(notFound);
        } else {
          const session = await client.getDownloadSession(id);
          expect(session.state).toBe('ERROR');
          expect(session.error_message?.default_message).toBe('disk full on the client');
        }
      },
    );

    it('deleteDownloadSession removes the session (NotFound afterwards)', async () => {
      const id = await openDownloadSession(payloadItemId);
      await client.deleteDownloadSession(id);
      await expect(client.getDownloadSession(id)).rejects.toMatchObject(notFound);
      expect(await client.listDownloadSessions()).not.toContain(id);
      await expect(client.deleteDownloadSession(id)).rejects.toMatchObject(notFound);
    });

    it(
      vcsimSays(
        departs.listFilter,
        'listDownloadSessions ignores library_item_id: other items\u2019 sessions come back',
        'listDownloadSessions(library_item_id) returns only that item\u2019s sessions',
      ),
      async () => {
        const a = await openDownloadSession(payloadItemId);
        const b = await openDownloadSession(await newItem());
        const listed = await client.listDownloadSessions(payloadItemId);
        expect(listed).toContain(a);
        if (departs.listFilter) expect(listed).toContain(b);
        else expect(listed).toEqual([a]);
      },
    );

    it(
      vcsimSays(
        departs.unknownFileName,
        'get of an unknown file name answers 200 without a value, and prepare of it answers PREPARED',
        'get and prepare of an unknown file name get InvalidArgument',
      ),
      async () => {
        const id = await openDownloadSession(payloadItemId);
        if (departs.unknownFileName) {
          await expect(client.getDownloadSessionFile(id, 'absent.bin')).rejects.toMatchObject({
            name: 'ResponseValidationError',
            status: 200,
          });
          expect(await client.prepareDownloadSessionFile(id, 'absent.bin')).toMatchObject({
            name: 'absent.bin',
            status: 'PREPARED',
          });
        } else {
          await expect(client.getDownloadSessionFile(id, 'absent.bin')).rejects.toMatchObject(
            invalidArgument,
          );
          await expect(client.prepareDownloadSessionFile(id, 'absent.bin')).rejects.toMatchObject(
            invalidArgument,
          );
        }
      },
    );
  });

  // ------------------------------------------------------------------ item files and storage

  describe('item files and storage', () => {
    it(
      vcsimSays(
        departs.itemChecksum,
        'item file list and get report the stored file with size and version but no checksum_info',
        'item file list and get report the stored file with size, version and its SHA-1',
      ),
      async () => {
        const file = await client.getLibraryItemFile(payloadItemId, 'payload.bin');
        expect(await client.listLibraryItemFiles(payloadItemId)).toEqual([file]);
        expect(file).toMatchObject({ name: 'payload.bin', size: payload.length, cached: true, version: '1' });
        if (departs.itemChecksum) expect(file.checksum_info).toBeUndefined();
        else expect(file.checksum_info).toEqual({ algorithm: 'SHA1', checksum: sha1(payload) });
      },
    );

    it('item storage list and get give the file on the library datastore with its storage URI', async () => {
      const all = await client.listLibraryItemStorage(payloadItemId);
      expect(all).toEqual([
        expect.objectContaining({
          name: 'payload.bin',
          size: payload.length,
          storage_backing: { type: 'DATASTORE', datastore_id: env.datastore },
        }),
      ]);
      expect(all[0]?.storage_uris).toEqual([expect.stringMatching(/payload\.bin$/)]);
      expect(await client.getLibraryItemStorage(payloadItemId, 'payload.bin')).toEqual(all);
    });

    it('getLibraryItemFile and getLibraryItemStorage of an unknown name get NotFound', async () => {
      await expect(client.getLibraryItemFile(payloadItemId, 'absent.bin')).rejects.toMatchObject(notFound);
      await expect(client.getLibraryItemStorage(payloadItemId, 'absent.bin')).rejects.toMatchObject(notFound);
    });
  });

  // ------------------------------------------------------------------ error mapping

  describe('error mapping', () => {
    it('unknown library, item and session ids get NotFound (404, not retryable)', async () => {
      const unknown = randomUUID();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['getLibrary', () => client.getLibrary(unknown)],
        ['listLibraryItems', () => client.listLibraryItems(unknown)],
        ['getLibraryItem', () => client.getLibraryItem(unknown)],
        ['listLibraryItemFiles', () => client.listLibraryItemFiles(unknown)],
        ['getUpdateSession', () => client.getUpdateSession(unknown)],
        ['keepAliveUpdateSession', () => client.keepAliveUpdateSession(unknown)],
        ['completeUpdateSession', () => client.completeUpdateSession(unknown)],
        ['listUpdateSessionFiles', () => client.listUpdateSessionFiles(unknown)],
        [
          'createDownloadSession',
          () => client.createDownloadSession({ library_item_id: unknown }, randomUUID()),
        ],
        ['getDownloadSession', () => client.getDownloadSession(unknown)],
        ['listDownloadSessionFiles', () => client.listDownloadSessionFiles(unknown)],
      ];
      for (const [operation, call] of calls) {
        await expect(call()).rejects.toMatchObject({ ...notFound, operation, status: 404, retryable: false });
      }
    });
  });
});

describe('TLS against vcsim over HTTPS', () => {
  const tlsClient = (tls?: TlsOptions): ContentLibraryClient =>
    new ContentLibraryClient({
      url: stackInfo().vcsimTls.url,
      username: 'user',
      password: 'pass',
      ...(tls ? { tls } : {}),
    });

  async function using<T>(c: ContentLibraryClient, fn: (c: ContentLibraryClient) => Promise<T>): Promise<T> {
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => undefined);
      await c.close();
    }
  }

  /** The right thumbprint with its last hex digit changed. */
  function wrongThumbprint(): string {
    const right = normalizeThumbprint(stackInfo().vcsimTls.thumbprint);
    return `${right.slice(0, -1)}${right.endsWith('0') ? '1' : '0'}`;
  }

  it('connects when pinned to the server certificate thumbprint', async () => {
    await using(tlsClient({ thumbprint: stackInfo().vcsimTls.thumbprint }), async (c) => {
      expect(Array.isArray(await c.listLibraries())).toBe(true);
      expect(c.hasSession).toBe(true);
    });
  });

  it('refuses a wrong thumbprint with TlsError naming both thumbprints', async () => {
    const wrong = wrongThumbprint();
    await using(tlsClient({ thumbprint: wrong }), async (c) => {
      await expect(c.listLibraries()).rejects.toMatchObject({
        name: 'TlsError',
        code: 'TLS',
        retryable: false,
        expectedThumbprint: wrong,
        actualThumbprint: normalizeThumbprint(stackInfo().vcsimTls.thumbprint),
      });
      expect(c.hasSession).toBe(false);
    });
  });

  it('refuses the self-signed certificate by default with TlsError', async () => {
    await using(tlsClient(), async (c) => {
      await expect(c.listLibraries()).rejects.toMatchObject({
        name: 'TlsError',
        code: 'TLS',
        retryable: false,
      });
    });
  });

  it('connects when the certificate is trusted through caFile', async () => {
    await using(tlsClient({ caFile: stackInfo().vcsimTls.certFile }), async (c) => {
      expect(Array.isArray(await c.listLibraries())).toBe(true);
    });
  });

  it('connects with insecure: true', async () => {
    await using(tlsClient({ insecure: true }), async (c) => {
      expect(Array.isArray(await c.listLibraries())).toBe(true);
    });
  });

  it('uploads and downloads over HTTPS through the pinned connection', async () => {
    const { datastore, thumbprint } = stackInfo().vcsimTls;
    await using(tlsClient({ thumbprint }), async (c) => {
      const lib = await c.createLibrary(
        { name: `tls-${randomUUID().slice(0, 8)}`, datastore_id: datastore },
        randomUUID(),
      );
      try {
        const itemId = await c.createLibraryItem({ library_id: lib, name: 'over-tls' }, randomUUID());
        const bytes = randomBytes(50_000);
        const session = await c.createUpdateSession({ library_item_id: itemId }, randomUUID());
        const added = await c.addUpdateSessionFile(session, {
          name: 'tls.bin',
          source_type: 'PUSH',
          size: bytes.length,
        });
        expect(added.upload_endpoint?.uri).toMatch(/^https:\/\//);
        await c.uploadToEndpoint(added.upload_endpoint ?? '', Readable.from([bytes]), { size: bytes.length });
        await c.completeUpdateSession(session);
        const done = await pollUntil(
          () => c.getUpdateSession(session),
          (s) => s.state !== 'ACTIVE',
        );
        expect(done.state).toBe('DONE');
        const download = await c.createDownloadSession({ library_item_id: itemId }, randomUUID());
        await c.prepareDownloadSessionFile(download, 'tls.bin');
        const info = await pollUntil(
          () => c.getDownloadSessionFile(download, 'tls.bin'),
          (f) => f.status === 'PREPARED' || f.status === 'ERROR',
        );
        expect(info.download_endpoint?.uri).toMatch(/^https:\/\//);
        const res = await c.downloadFromEndpoint(info.download_endpoint ?? '');
        expect(sha1(await readAll(res.body))).toBe(sha1(bytes));
        await c.deleteDownloadSession(download);
        await c.deleteUpdateSession(session);
      } finally {
        await c.deleteLibrary(lib);
      }
    });
  });
});
