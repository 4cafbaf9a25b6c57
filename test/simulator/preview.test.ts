/**
 * Signed OVF packages on /api: preview_info (states, certificate, warnings), warning_behavior (create
 * and PATCH), complete failing the session while a warning is not ignored, the preview-warnings fault
 * and trusted signers; plus the /api error statuses checked against the 8.0.2 spec files.
 */
import fs from 'node:fs';
import { generate } from 'selfsigned';
import { startSimulator } from './index';
import type { ContentLibrarySimulator, PreviewInfo } from './index';
import { API_STATUS } from './errors';
import type { VapiErrorKind } from './errors';
import { simulatorControl } from './control-client';
import { apiFixture, expectApiError, signedPackage } from './api-helpers';
import type { ApiClient, SignedPackage } from './api-helpers';
import { RawClient } from './helpers';

const US = '/content/library/item/update-session';
const DAY = 86_400_000;

async function preview(api: ApiClient, id: string): Promise<PreviewInfo | undefined> {
  return (await api.getUpdateSession<{ preview_info?: PreviewInfo }>(id)).preview_info;
}

async function pushAll(api: ApiClient, id: string, pkg: SignedPackage): Promise<void> {
  for (const [name, content] of pkg.files) await api.push(id, name, content);
}

describe('simulator: signed OVF preview and warning_behavior (/api)', () => {
  let sim: ContentLibrarySimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());
  afterEach(() => sim.faults.clear());

  it('moves UNAVAILABLE -> PREPARING -> AVAILABLE as the metadata and then the descriptor arrive', async () => {
    const { api, itemId } = await apiFixture(sim);
    const pkg = await signedPackage('alpine');
    const id = await api.createUpdateSession(itemId);
    expect(await preview(api, id)).toEqual({ state: 'UNAVAILABLE' });
    const [[mfName, mf], [certName, cert], [ovfName, ovf], [diskName, disk]] = pkg.files as [
      [string, string],
      [string, string],
      [string, string],
      [string, string],
    ];
    await api.push(id, mfName, mf);
    await api.push(id, certName, cert);
    // No descriptor yet: nothing to preview.
    expect(await preview(api, id)).toEqual({ state: 'UNAVAILABLE' });
    const added = await api.expect<{ upload_endpoint: { uri: string } }>(201, 'POST', `${US}/${id}/file`, {
      body: { name: ovfName, source_type: 'PUSH' },
    });
    expect(await preview(api, id)).toEqual({ state: 'PREPARING' });
    await fetch(added.upload_endpoint.uri, {
      method: 'PUT',
      headers: { 'vmware-api-session-id': api.token ?? '' },
      body: ovf,
    });
    await api.push(id, diskName, disk);
    const p = await preview(api, id);
    expect(p).toMatchObject({
      state: 'AVAILABLE',
      certificate_info: {
        subject: 'CN=alpine.signer.test',
        issuer: 'CN=alpine.signer.test',
        self_signed: true,
      },
    });
    expect(p?.certificate_info?.x509.trim()).toBe(pkg.cert.trim());
    expect(p?.cert_chain).toHaveLength(1);
    expect(p?.warnings).toEqual([
      {
        type: 'SELF_SIGNED_CERTIFICATE',
        ignored: false,
        message: {
          id: 'com.vmware.vdcs.vsphere-cs-lib.CERTIFICATE_SELF_SIGNED',
          default_message: 'The certificate is self-signed.',
          args: [],
        },
      },
      expect.objectContaining({ type: 'UNTRUSTED_CERTIFICATE', ignored: false }),
    ]);
  });

  it('is NOT_APPLICABLE for a descriptor without a certificate', async () => {
    const { api, itemId } = await apiFixture(sim);
    const pkg = await signedPackage('plain');
    const [, , [ovfName, ovf]] = pkg.files as [[string, string], [string, string], [string, string]];
    const id = await api.createUpdateSession(itemId);
    await api.push(id, ovfName, ovf);
    expect(await preview(api, id)).toEqual({ state: 'NOT_APPLICABLE' });
  });

  it('refuses a manifest or certificate added after the OVF descriptor (METADATA_BEFORE_DESCRIPTOR)', async () => {
    const { api, itemId } = await apiFixture(sim);
    const pkg = await signedPackage('late');
    const [[mfName, mf], [certName], [ovfName, ovf]] = pkg.files as [
      [string, string],
      [string, string],
      [string, string],
    ];
    const id = await api.createUpdateSession(itemId);
    await api.push(id, ovfName, ovf);
    for (const name of [mfName, certName]) {
      const err = expectApiError(
        await api.call('POST', `${US}/${id}/file`, { body: { name, source_type: 'PUSH' } }),
        400,
        'NOT_ALLOWED_IN_CURRENT_STATE',
        'METADATA_BEFORE_DESCRIPTOR',
      );
      expect(err.messages[0]?.args).toEqual([name, ovfName]);
    }
    // Before the descriptor, the same manifest is accepted.
    expect((await api.action('update-session', id, 'cancel')).status).toBe(204);
    const early = await api.createUpdateSession(itemId);
    await api.push(early, mfName, mf);
  });

  it('complete fails the session while a warning is not ignored; PATCH warning_behavior lets it complete', async () => {
    const { api, itemId } = await apiFixture(sim);
    const pkg = await signedPackage('web');
    const refused = await api.createUpdateSession(itemId);
    await pushAll(api, refused, pkg);
    // Ignoring only one of the two warnings is not enough.
    expect(
      (
        await api.call('PATCH', `${US}/${refused}`, {
          body: { warning_behavior: [{ type: 'UNTRUSTED_CERTIFICATE', ignored: true }] },
        })
      ).status,
    ).toBe(204);
    const p = await preview(api, refused);
    expect(p?.warnings?.map((w) => [w.type, w.ignored])).toEqual([
      ['SELF_SIGNED_CERTIFICATE', false],
      ['UNTRUSTED_CERTIFICATE', true],
    ]);
    const err = expectApiError(
      await api.action('update-session', refused, 'complete'),
      400,
      'NOT_ALLOWED_IN_CURRENT_STATE',
      'PREVIEW_WARNINGS_FAIL_COMPLETE',
    );
    expect(err.messages[0]?.args).toEqual(['SELF_SIGNED_CERTIFICATE']);
    const failed = await api.getUpdateSession(refused);
    expect(failed).toMatchObject({
      state: 'ERROR',
      error_message: { id: 'clsim.PREVIEW_WARNINGS_FAIL_COMPLETE' },
    });
    expect(failed).not.toHaveProperty('preview_info');
    expect(await api.expect(200, 'GET', `/content/library/item/${itemId}/file`)).toEqual([]);

    const accepted = await api.createUpdateSession(itemId);
    await pushAll(api, accepted, pkg);
    const all = [
      { type: 'SELF_SIGNED_CERTIFICATE', ignored: true },
      { type: 'UNTRUSTED_CERTIFICATE', ignored: true },
    ];
    expect((await api.call('PATCH', `${US}/${accepted}`, { body: { warning_behavior: all } })).status).toBe(
      204,
    );
    expect(await api.getUpdateSession(accepted)).toMatchObject({ warning_behavior: all });
    expect((await api.action('update-session', accepted, 'complete')).status).toBe(204);
    expect(await api.getUpdateSession(accepted)).toMatchObject({ state: 'DONE' });
    expect(await api.expect<unknown[]>(200, 'GET', `/content/library/item/${itemId}/file`)).toHaveLength(4);
    // PATCH needs an ACTIVE session.
    expectApiError(
      await api.call('PATCH', `${US}/${accepted}`, { body: { warning_behavior: [] } }),
      400,
      'NOT_ALLOWED_IN_CURRENT_STATE',
      'WARNING_BEHAVIOR_UPDATE',
    );
  });

  it('takes warning_behavior at create, refuses unknown warning types, and completes unsigned packages', async () => {
    const { api, itemId, libraryId } = await apiFixture(sim);
    const pkg = await signedPackage('pre');
    const behavior = [
      { type: 'SELF_SIGNED_CERTIFICATE', ignored: true },
      { type: 'UNTRUSTED_CERTIFICATE', ignored: true },
    ];
    const id = await api.createUpdateSession(itemId, { warning_behavior: behavior });
    await pushAll(api, id, pkg);
    expect((await api.action('update-session', id, 'complete')).status).toBe(204);
    expectApiError(
      await api.call('POST', US, {
        body: { library_item_id: itemId, warning_behavior: [{ type: 'SELF_SIGNED', ignored: true }] },
      }),
      400,
      'INVALID_ARGUMENT',
      'WARNING_BEHAVIOR_SPEC',
    );
    // A fresh item: the first one now holds pre.cert, which a new session's preview would see.
    const unsigned = await api.createUpdateSession(await api.createItem(libraryId));
    expectApiError(
      await api.call('PATCH', `${US}/${unsigned}`, {
        body: { warning_behavior: [{ type: 'EXPIRED_CERTIFICATE' }] },
      }),
      400,
      'INVALID_ARGUMENT',
      'WARNING_BEHAVIOR_SPEC',
    );
    for (const [name, content] of pkg.files.filter(([n]) => !n.endsWith('.cert')))
      await api.push(unsigned, name, content);
    expect(await preview(api, unsigned)).toEqual({ state: 'NOT_APPLICABLE' });
    expect((await api.action('update-session', unsigned, 'complete')).status).toBe(204);
  });

  it('reports EXPIRED and NOT_YET_VALID certificates, and no UNTRUSTED for a signer a trusted CA issued', async () => {
    const { api, itemId } = await apiFixture(sim);
    const now = Date.now();
    const expired = await signedPackage('old', {
      notBefore: new Date(now - 30 * DAY),
      notAfter: new Date(now - DAY),
    });
    const early = await signedPackage('new', {
      notBefore: new Date(now + DAY),
      notAfter: new Date(now + 30 * DAY),
    });
    const warningsOf = async (pkg: SignedPackage): Promise<string[] | undefined> => {
      const id = await api.createUpdateSession(itemId);
      await pushAll(api, id, pkg);
      const types = (await preview(api, id))?.warnings?.map((w) => w.type);
      await api.action('update-session', id, 'cancel');
      return types;
    };
    expect(await warningsOf(expired)).toEqual([
      'SELF_SIGNED_CERTIFICATE',
      'EXPIRED_CERTIFICATE',
      'UNTRUSTED_CERTIFICATE',
    ]);
    expect(await warningsOf(early)).toEqual([
      'SELF_SIGNED_CERTIFICATE',
      'NOT_YET_VALID_CERTIFICATE',
      'UNTRUSTED_CERTIFICATE',
    ]);

    const ca = await generate([{ name: 'commonName', value: 'Test Signing CA' }], {
      keyType: 'ec',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
      ],
    });
    const issued = await signedPackage('corp', { issuer: { cert: ca.cert, private: ca.private } });
    expect(await warningsOf(issued)).toEqual(['UNTRUSTED_CERTIFICATE']);
    // Trust the CA over the control API, as a test in another process would.
    await simulatorControl(sim.url).configure({ trustedCertificates: [ca.cert] });
    try {
      expect(await warningsOf(issued)).toEqual([]);
      const id = await api.createUpdateSession(itemId);
      await pushAll(api, id, issued);
      expect(await preview(api, id)).toMatchObject({
        state: 'AVAILABLE',
        certificate_info: { issuer: 'CN=Test Signing CA', self_signed: false },
        warnings: [],
      });
      expect((await api.action('update-session', id, 'complete')).status).toBe(204);
    } finally {
      await simulatorControl(sim.url).configure({ trustedCertificates: [] });
    }
  });

  it('the preview-warnings fault forces the warnings of the next signed package, over HTTP too', async () => {
    const { api, itemId } = await apiFixture(sim);
    const pkg = await signedPackage('forced');
    const control = simulatorControl(sim.url);
    const faultId = await control.previewWarnings({
      warnings: ['EXPIRED_CERTIFICATE'],
      fileName: 'forced.cert',
      count: 1,
    });
    expect(await control.faults()).toEqual([
      expect.objectContaining({ id: faultId, type: 'preview-warnings', remaining: 1 }),
    ]);
    const id = await api.createUpdateSession(itemId);
    await pushAll(api, id, pkg);
    const p = await preview(api, id);
    expect(p?.warnings?.map((w) => w.type)).toEqual(['EXPIRED_CERTIFICATE']);
    expect(p?.certificate_info?.subject).toBe('CN=forced.signer.test');
    // Decided once for the session: the fault is used up and later reads agree.
    expect(await control.faults()).toEqual([]);
    expect((await preview(api, id))?.warnings?.map((w) => w.type)).toEqual(['EXPIRED_CERTIFICATE']);
    expectApiError(
      await api.action('update-session', id, 'complete'),
      400,
      'NOT_ALLOWED_IN_CURRENT_STATE',
      'PREVIEW_WARNINGS_FAIL_COMPLETE',
    );
  });

  it('keeps /rest to the 6.6.1 shape, yet its completes meet the same warnings (one server)', async () => {
    const rest = new RawClient(sim.url);
    await rest.login();
    const libraryId = await rest.createLibrary(sim.datastoreId);
    const itemId = await rest.createItem(libraryId, undefined, 'ovf');
    const pkg = await signedPackage('legacy');
    const created = await rest.createUpdateSession(itemId);
    const id = (created.body as { value: string }).value;
    for (const [name, content] of pkg.files) {
      const added = await rest.addFile(id, { name, source_type: 'PUSH' });
      await rest.put(
        (added.body as { value: { upload_endpoint: { uri: string } } }).value.upload_endpoint.uri,
        content,
      );
    }
    const got = (await rest.getUpdateSession(id)).body as { value: Record<string, unknown> };
    expect(got.value).not.toHaveProperty('preview_info');
    expect(got.value).not.toHaveProperty('warning_behavior');
    const res = await rest.updateSessionAction(id, 'complete');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'com.vmware.vapi.std.errors.not_allowed_in_current_state' });
    // /rest has no update operation for warning_behavior.
    expect(
      (await rest.request('PATCH', `/content/library/item/update-session/id:${id}`, { body: {} })).status,
    ).toBe(404);
  });
});

describe('simulator: /api error statuses', () => {
  it('gives each error kind the status every /api path of api-8.0.2 gives its definition', () => {
    const seen = new Map<string, Set<string>>();
    for (const file of ['content-library.json', 'session.json']) {
      const spec = JSON.parse(fs.readFileSync(`/work/shared/reference/api-8.0.2/${file}`, 'utf8')) as {
        paths: Record<string, Record<string, { responses: Record<string, { schema?: { $ref?: string } }> }>>;
      };
      for (const [path, ops] of Object.entries(spec.paths))
        for (const op of Object.values(ops))
          for (const [status, response] of Object.entries(op.responses)) {
            const def = /VapiStdErrors(\w+)$/.exec(response.schema?.$ref ?? '')?.[1];
            if (!def || !path.startsWith('/api')) continue;
            // VapiStdErrorsResourceBusy -> resource_busy
            const kind = def.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();
            seen.set(kind, (seen.get(kind) ?? new Set()).add(status));
          }
    }
    expect(seen.size).toBeGreaterThanOrEqual(12);
    for (const [kind, statuses] of seen) {
      expect([kind, [...statuses]]).toEqual([kind, [String(API_STATUS[kind as VapiErrorKind])]]);
    }
  });
});
