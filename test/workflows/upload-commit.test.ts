/**
 * Once the server has accepted `complete`, nothing may undo an upload: not a failed
 * content-version lookup, not the time budget running out, not a cancellation. Each of
 * these used to run the compensations after the commit, deleting the committed item it had
 * created and reporting failure. The simulator delays the first DONE check to open the window.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { UploadInput } from '../../client/upload';
import type { UploadResult } from '../../workflows/definitions/upload';
import { writeRandomFile } from '../fixtures/content';
import { readItemBack } from '../support/library';
import { waitFor } from '../support/polling';
import { useUploadFixture } from '../support/upload-fixture';

/**
 * How long the simulator holds the first session state poll after complete: the time budget
 * case needs room on both sides of its budget (DONE_DELAY_MS / 2 from the start); the others
 * only act once complete was called, which takes milliseconds, so they hold it for less.
 */
const DONE_DELAY_MS = 8000;
const SHORT_DONE_DELAY_MS = 3000;

describe('uploadLibraryItem after the commit (simulator)', () => {
  const f = useUploadFixture();
  afterEach(() => f.target.sim!.faults.clear());

  const upload = async (
    label: string,
    options: Partial<NonNullable<UploadInput['options']>> = {},
    doneDelayMs = SHORT_DONE_DELAY_MS,
  ) => {
    const file = await writeRandomFile(join(f.dir, `${label}.iso`), 64 * 1024, label);
    const name = `${label}-${randomUUID().slice(0, 6)}`;
    const completes = f.target.sim!.stats.calls('updatesession.complete');
    f.target.sim!.faults.addLatency({ operation: 'updatesession.get', ms: doneDelayMs, count: 1 });
    const handle = await f.start({
      item: { name },
      source: { kind: 'file', path: file.path },
      options: { fileConcurrency: 1, replace: false, takeOver: false, maxSessionRestarts: 2, ...options },
    });
    const committed = async () =>
      waitFor('complete to be called', () => f.target.sim!.stats.calls('updatesession.complete') > completes);
    return { file, name, handle, committed };
  };
  const expectCommitted = async (
    result: UploadResult,
    file: { size: number; sha1: string },
    label: string,
  ) => {
    expect(result.itemCreated).toBe(true);
    expect(await readItemBack(f.rest, result.itemId)).toEqual({
      [`${label}.iso`]: { size: file.size, sha1: file.sha1 },
    });
  };

  it('completes when the content-version lookup after DONE fails for good', async () => {
    const { file, handle, committed } = await upload('version');
    await committed();
    f.target.sim!.faults.failNext({ operation: 'item.get', kind: 'unauthorized', count: 50 });
    const result = await handle.result();
    expect(result.contentVersion).toBeUndefined();
    await expectCommitted(result, file, 'version');
  });

  it('completes when its time budget runs out after complete', async () => {
    const { file, handle, committed } = await upload(
      'budget',
      { timeBudgetMs: DONE_DELAY_MS / 2 },
      DONE_DELAY_MS,
    );
    await committed();
    const result = await handle.result();
    await expectCommitted(result, file, 'budget');
  });

  it('completes when it is cancelled after complete', async () => {
    const { file, handle, committed } = await upload('cancel');
    await committed();
    await handle.cancel();
    const result = await handle.result();
    await expectCommitted(result, file, 'cancel');
  });
});
