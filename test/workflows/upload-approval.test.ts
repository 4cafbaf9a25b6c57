/**
 * Signed OVA approval (issue #13) against the simulator's `/api` flavour, whose update sessions
 * preview a signed package's `.cert` (self-signed here: SELF_SIGNED_CERTIFICATE and
 * UNTRUSTED_CERTIFICATE) and whose `complete` fails while a warning is not ignored. The upload
 * waits in `awaiting-approval` with the certificate in its progress query and current details;
 * `clo approve` finishes it, `clo reject` and the approval timeout compensate, the policy
 * decides unattended runs, and an approval naming a warning that is not there changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload, type UploadInput } from '../../client/upload';
import type { UploadProgress, UploadResult } from '../../workflows/definitions/upload';
import { clo, cloEnv, cloInProcess } from '../support/clo';
import { failureOf } from '../support/failures';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import { makeSignedOva, type SignedOva } from '../support/signed-ova';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

const WARNINGS = ['SELF_SIGNED_CERTIFICATE', 'UNTRUSTED_CERTIFICATE'];

describe('uploadLibraryItem of a signed OVA on the simulator (/api)', () => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let ova: SignedOva;

  beforeAll(async () => {
    // Sessions idle for 10 s expire: a saga awaiting approval for longer is kept alive by its lease (every 5 s).
    target = await startTarget('simulator', { sessionIdleTimeoutMs: 10_000 });
    const config = testConfig({ target: { url: target.url, username: 'user', password: 'pass' } });
    worker = await startTestWorker(config);
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-approval-'));
    env = await cloEnv(config, dir);
    ova = await makeSignedOva(dir, 'signed');
  });
  afterAll(async () => {
    await worker?.stop();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (
    options: NonNullable<UploadInput['options']>,
    name = `signed-${randomUUID().slice(0, 6)}`,
  ): Promise<{ handle: WorkflowHandle; name: string }> => ({
    name,
    handle: await startUpload(
      worker.client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { name },
        source: { kind: 'ova', path: ova.path },
        options,
      },
      // The worker's config: keep-alive every 5 s.
      { taskQueue: worker.taskQueue, config: worker.config },
    ),
  });
  const progressOf = async (handle: WorkflowHandle) => handle.query<UploadProgress>('progress');
  const awaiting = async (handle: WorkflowHandle): Promise<UploadProgress> => {
    let progress: UploadProgress | undefined;
    await waitFor('the upload to await approval', async () => {
      progress = await progressOf(handle);
      return progress.phase === 'awaiting-approval';
    });
    return progress!;
  };
  const itemNamed = async (name: string) => rest.findLibraryItems({ library_id: library.id, name });
  const updateEvents = async (handle: WorkflowHandle) =>
    ((await handle.fetchHistory()).events ?? []).filter(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
    );
  const sessionStates = (itemId: string) =>
    target
      .sim!.stats.sessions()
      .filter((s) => s.kind === 'update' && s.library_item_id === itemId)
      .map((s) => s.state);

  it('waits with the certificate and warnings; refuses a warning that is not there; clo approve finishes it', async () => {
    const { handle } = await start({ warnings: 'await-approval' });
    const progress = await awaiting(handle);
    expect(progress.approval).toMatchObject({
      state: 'awaiting-approval',
      certificate: { selfSigned: true, sha256Fingerprint: ova.fingerprint256 },
      accepted: [],
    });
    expect(progress.approval!.certificate!.subject).toContain(ova.commonName);
    expect(progress.approval!.certificate!.validTo).toMatch(/^\d{4}-/);
    expect(progress.approval!.warnings.map((w) => w.type).sort()).toEqual(WARNINGS);
    const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(currentDetails).toContain(`- subject: \`${progress.approval!.certificate!.subject}\``);
    expect(currentDetails).toContain('- warning `SELF_SIGNED_CERTIFICATE`');
    expect(currentDetails).toContain(`\`clo approve ${handle.workflowId} --accept SELF_SIGNED_CERTIFICATE`);
    const status = await cloInProcess(['status', handle.workflowId], env);
    expect(status.stdout).toContain('approval  awaiting-approval');
    expect(status.stdout).toContain('warning   SELF_SIGNED_CERTIFICATE');

    // Not among the warnings: the validator refuses it, and nothing is recorded or changed.
    const refused = await cloInProcess(
      ['approve', handle.workflowId, '--accept', 'EXPIRED_CERTIFICATE', '--reason', 'typo', '--json'],
      env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('EXPIRED_CERTIFICATE is not among the warnings of this upload');
    expect(JSON.parse(refused.stdout)).toMatchObject({
      error: { type: 'ApprovalRefused', class: 'invalid-input' },
    });
    expect(await updateEvents(handle)).toEqual([]);
    expect((await progressOf(handle)).approval).toMatchObject({ state: 'awaiting-approval', accepted: [] });

    // Held past the session's idle timeout by the lease's keep-alives, while nobody decides.
    const keptAlive = target.sim!.stats.calls('updatesession.keep-alive');
    await waitFor(
      'three keep-alives (15 s) while awaiting approval',
      () => target.sim!.stats.calls('updatesession.keep-alive') - keptAlive >= 3,
      40_000,
    );
    expect((await progressOf(handle)).phase).toBe('awaiting-approval');

    // The real executable, as an operator runs it: the approver defaults to the OS user.
    const approved = await clo(
      [
        'approve',
        handle.workflowId,
        '--accept',
        WARNINGS.join(','),
        '--reason',
        'our build CA, checked by phone',
        '--json',
      ],
      env,
    );
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ accepted: WARNINGS, remaining: [] });

    const result = (await handle.result()) as UploadResult;
    expect(result.approval).toMatchObject({
      state: 'approved',
      accepted: WARNINGS,
      decisions: [{ decision: 'approved', reason: 'our build CA, checked by phone', accepted: WARNINGS }],
    });
    expect(result.approval!.decisions[0]!.approver).not.toBe('');
    expect(Object.keys(await readItemBack(rest, result.itemId)).sort()).toEqual([...ova.members].sort());
    expect(sessionStates(result.itemId)).toEqual(['DONE']);
    // The decision and who made it are in history: the accepted Update with its arguments.
    const [accepted] = await updateEvents(handle);
    expect(accepted?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name).toBe(
      'approve',
    );
    // After the decision there is nothing to approve.
    const late = await cloInProcess(['approve', handle.workflowId, '--reason', 'again'], env);
    expect(late.code).toBe(4);
    expect(late.stderr).toContain('is not running');
  });

  it('clo reject compensates: the session fails and the item the saga created is deleted', async () => {
    const { handle, name } = await start({ warnings: 'await-approval' });
    await awaiting(handle);
    const [itemId] = await itemNamed(name);
    const rejected = await cloInProcess(
      ['reject', handle.workflowId, '--approver', 'sec-team', '--reason', 'unknown publisher', '--wait'],
      env,
    );
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain('ended: FAILED');
    const failure = failureOf(await handle.result().catch((e: unknown) => e));
    expect(failure.type).toBe('ApprovalRejected');
    expect(failure.message).toBe('the signing certificate was rejected by sec-team: unknown publisher');
    expect(await itemNamed(name)).toEqual([]);
    expect(sessionStates(itemId!)).toEqual(['ERROR']);
  });

  it('compensates when nobody decides within the approval timeout', async () => {
    const { handle, name } = await start({ warnings: 'await-approval', approvalTimeoutMs: 3000 });
    await awaiting(handle);
    const [itemId] = await itemNamed(name);
    const failure = failureOf(await handle.result().catch((e: unknown) => e));
    expect(failure.type).toBe('ApprovalTimedOut');
    expect(await itemNamed(name)).toEqual([]);
    expect(sessionStates(itemId!)).toEqual(['ERROR']);
  });

  it('fails by default, naming the warnings and the option, and compensates', async () => {
    const { handle, name } = await start({});
    const failure = failureOf(await handle.result().catch((e: unknown) => e));
    expect(failure.type).toBe('CertificateWarnings');
    expect(failure.message).toContain('SELF_SIGNED_CERTIFICATE');
    expect(failure.message).toContain("options.warnings 'await-approval'");
    expect(await itemNamed(name)).toEqual([]);
  });

  it('goes on unattended when the policy accepts every warning, and records the policy as the approver', async () => {
    const { handle } = await start({
      warnings: { accept: ['SELF_SIGNED_CERTIFICATE', 'UNTRUSTED_CERTIFICATE'] },
    });
    const result = (await handle.result()) as UploadResult;
    expect(result.approval).toMatchObject({
      state: 'accepted-by-policy',
      decisions: [{ decision: 'accepted-by-policy', approver: 'policy', accepted: WARNINGS }],
    });
    expect(sessionStates(result.itemId)).toEqual(['DONE']);
  });
});
