/**
 * An upload of a signed OVA waiting for approval, as a person sees it in the Web UI (Chromium):
 * the workflow's User Metadata tab shows its current details, with the certificate's subject,
 * validity and fingerprint, the warnings vCenter raised (the simulator's `/api` preview of a
 * self-signed `.cert`) and the command that approves them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { startUpload } from '../../client/upload';
import type { UploadProgress } from '../../workflows/definitions/upload';
import { createTestLibrary, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import { makeSignedOva } from '../support/signed-ova';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';
import { ARTIFACTS, launchBrowser } from './browser';

describe('the Web UI and an upload awaiting approval', () => {
  let target: Target;
  let worker: TestWorker;
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    target = await startTarget('simulator');
    worker = await startTestWorker(
      testConfig({ target: { url: target.url, username: 'user', password: 'pass' } }),
    );
    dir = await mkdtemp(join(tmpdir(), 'clo-ui-approval-'));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows the signing certificate and vCenter's warnings in the workflow's current details", async () => {
    const stack = stackInfo();
    const rest = restClient(target.url);
    const library = await createTestLibrary(rest, target.datastore);
    await rest.close();
    const ova = await makeSignedOva(dir, 'ui-signed');
    const handle = await startUpload(
      worker.client,
      {
        vcenter: 'target',
        library: { id: library.id },
        item: { name: `ui-signed-${randomUUID().slice(0, 6)}` },
        source: { kind: 'ova', path: ova.path },
        options: { warnings: 'await-approval' },
      },
      { taskQueue: worker.taskQueue },
    );
    let progress: UploadProgress | undefined;
    await waitFor('the upload to await approval', async () => {
      progress = await handle.query<UploadProgress>('progress');
      return progress.phase === 'awaiting-approval';
    });
    const certificate = progress!.approval!.certificate!;

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // The User Metadata tab shows the current details (the metadata query), rendered as Markdown
    // in an iframe of their own.
    await page.goto(
      `${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/user-metadata`,
    );
    let details = '';
    await waitFor(
      'the current details in the Web UI',
      async () => {
        const texts = await Promise.all(
          page.frames().map(async (f) =>
            f
              .locator('body')
              .innerText({ timeout: 1000 })
              .catch(() => ''),
          ),
        );
        details = texts.find((t) => t.includes('Awaiting approval')) ?? '';
        return details !== '';
      },
      30_000,
    );
    await page.getByText('Current Details').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-approval.png'), fullPage: true });
    expect(details).toContain('Awaiting approval of the signing certificate');
    expect(details).toContain(`subject: ${certificate.subject}`);
    expect(details).toContain(`valid: ${certificate.validFrom} to ${certificate.validTo}`);
    expect(details).toContain(`SHA-256: ${certificate.sha256Fingerprint}`);
    expect(details).toContain('warning SELF_SIGNED_CERTIFICATE: The certificate is self-signed.');
    expect(details).toContain('warning UNTRUSTED_CERTIFICATE');
    expect(details).toContain(
      `clo approve ${handle.workflowId} --accept SELF_SIGNED_CERTIFICATE --accept UNTRUSTED_CERTIFICATE`,
    );
    await page.close();
    await handle.cancel();
  });
});
