/**
 * The Web UI decodes encrypted payloads through `clo codec-server`: global setup starts one with
 * a key made for the run and gives its address to the dev server (`--ui-codec-endpoint`). A
 * worker and client with that key run an upload; in Chromium the workflow's page shows the
 * decoded input (the item name), and with the codec server out of reach it shows none.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { startUpload } from '../../client/upload';
import { TemporalConfig } from '../../temporal.config';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { waitFor } from '../support/polling';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';
import { ARTIFACTS, launchBrowser } from './browser';

describe('the Temporal Web UI with the codec server', () => {
  let worker: TestWorker;
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    const stack = stackInfo();
    if (!stack.codec) throw new Error('global setup started no codec server (test/stack/global-setup.ts)');
    const base = testConfig();
    worker = await startTestWorker({
      ...base,
      temporal: TemporalConfig.parse({ ...base.temporal, encryption: { keys: stack.codec.keys } }),
    });
    dir = await mkdtemp(join(tmpdir(), 'clo-ui-codec-'));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the decoded input of an encrypted upload, and no item name without the codec', async () => {
    const stack = stackInfo();
    const rest = restClient(stack.vcsim.url);
    const library = await createTestLibrary(rest, stack.vcsim.datastore);
    await rest.close();
    const item = `ui-secret-${randomBytes(3).toString('hex')}`;
    const file = await writeRandomFile(join(dir, `${item}.iso`), 16 * 1024, 'ui');
    const handle = await startUpload(
      worker.client,
      {
        vcenter: 'vcsim',
        library: { id: library.id },
        item: { name: item },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: worker.taskQueue, config: worker.config },
    );
    await handle.result();
    const url = `${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`;

    const open = async (page: Page): Promise<void> => {
      await page.goto(url);
      // The workflow's page has loaded when it names the workflow type.
      await page.getByText('uploadLibraryItem').first().waitFor({ timeout: 15_000 });
    };

    const decoded = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let decodeCalls = 0;
    decoded.on('request', (r) => {
      if (r.url().startsWith(`${stack.codec!.endpoint}/decode`) && r.method() === 'POST') decodeCalls++;
    });
    await open(decoded);
    const name = decoded.getByText(item).first();
    await name.waitFor({ timeout: 15_000 });
    await name.scrollIntoViewIfNeeded();
    await decoded.screenshot({ path: join(ARTIFACTS, 'web-ui-codec-decoded.png') });
    expect(decodeCalls).toBeGreaterThan(0);
    expect(await decoded.content()).toContain(file.path);
    await decoded.close();

    // Without the codec server the page gets only what the server stores: sealed bytes.
    const sealed = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let blocked = 0;
    await sealed.route(`${stack.codec!.endpoint}/**`, async (route) => {
      blocked++;
      await route.abort();
    });
    await open(sealed);
    await waitFor('the page to call the codec server', () => blocked > 0, 10_000);
    // The input is on the page, as the server keeps it: sealed ("binary/encrypted" in base64).
    await sealed.getByText('YmluYXJ5L2VuY3J5cHRlZA==').first().waitFor({ timeout: 10_000 });
    await sealed.screenshot({ path: join(ARTIFACTS, 'web-ui-codec-sealed.png') });
    const html = await sealed.content();
    expect(html).toContain(handle.workflowId);
    expect(html).not.toContain(item);
    expect(html).not.toContain(file.path);
    await sealed.close();
  });
});
