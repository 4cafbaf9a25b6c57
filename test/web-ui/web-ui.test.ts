/**
 * A real browser (Debian's Chromium, driven by playwright-core) opens the dev server's
 * Web UI, finds a finished upload by its search attribute, and sees its summary. The
 * screenshots are kept under test-artifacts/ for a person to look at.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { startUpload } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';
import { ARTIFACTS, launchBrowser } from './browser';

describe('the Temporal Web UI', () => {
  let worker: TestWorker;
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    worker = await startTestWorker(testConfig());
    dir = await mkdtemp(join(tmpdir(), 'clo-ui-'));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a finished upload by its CloItemId search attribute and shows its summary', async () => {
    const stack = stackInfo();
    const rest = restClient(stack.vcsim.url);
    const library = await createTestLibrary(rest, stack.vcsim.datastore);
    await rest.close();
    const file = await writeRandomFile(join(dir, 'ui.iso'), 64 * 1024, 'ui');
    const item = `ui-${randomUUID().slice(0, 6)}`;
    const handle = await startUpload(
      worker.client,
      {
        vcenter: 'vcsim',
        library: { id: library.id },
        item: { name: item },
        source: { kind: 'file', path: file.path },
      },
      { taskQueue: worker.taskQueue, summary: `upload ui.iso → ${library.name}/${item}` },
    );
    const result = await handle.result();

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const query = encodeURIComponent(`CloItemId="${result.itemId}"`);
    await page.goto(`${stack.uiUrl}/namespaces/${stack.namespace}/workflows?query=${query}`);
    const row = page.getByText(handle.workflowId).first();
    await row.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-search.png'), fullPage: true });
    // Only the one workflow matches the item id.
    await page
      .getByText(/^\s*1 Workflow\s*$/)
      .first()
      .waitFor({ timeout: 10_000 });

    await row.click();
    const summary = page.getByText(`upload ui.iso → ${library.name}/${item}`).first();
    await summary.waitFor({ timeout: 30_000 });
    // The UI shows the static summary as a badge in the event timeline: bring it into view for the screenshot.
    await summary.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-upload.png') });
    expect(await page.content()).toContain(result.itemId);
    await page.close();
  });
});
