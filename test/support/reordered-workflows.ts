/**
 * A deliberately incompatible build of the workflow code: workflows/ with ONE command of
 * `uploadLibraryItem` moved, the kind of change a deploy can make without anyone noticing.
 * The replay test expects it to fail every recorded upload history; the rolling-deploy test
 * runs it as "build B", whose saga differs from build A's in command order.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = join(__dirname, '..', '..');
const UPLOAD = 'upload-library-item.ts';

/**
 * Moves the upload saga's upsert of CloSessionId (right after it creates an update session)
 * to just after `lease.start()`, which schedules the session's lease activity. Both commands
 * still run, in the other order, so every recorded upload that reached a session no longer
 * matches its history. (Moving an upsert across a local activity would not do: the SDK matches
 * local-activity markers leniently, so such a history still replays.) Throws when the code no
 * longer has that shape, so a refactor cannot turn this into a silent no-op.
 */
export function reorderUploadSaga(source: string): string {
  const upsert = /^[ \t]*upsertSearchAttributes\(\[[^;]*?\bSESSION_ID\b[^;]*?\]\);[ \t]*\n/m;
  const found = upsert.exec(source);
  if (!found) {
    throw new Error(
      `${UPLOAD}: no \`upsertSearchAttributes([... SESSION_ID ...]);\` to move; update reorderUploadSaga ` +
        '(test/support/reordered-workflows.ts) to swap two other commands',
    );
  }
  const statement = found[0].trim();
  const without = source.slice(0, found.index) + source.slice(found.index + found[0].length);
  const start = /^([ \t]*)lease\.start\(\);[ \t]*\n/m;
  const next = start.exec(without.slice(found.index));
  if (!next) {
    throw new Error(
      `${UPLOAD}: no \`lease.start();\` after the CloSessionId upsert to move it behind; ` +
        'update reorderUploadSaga (test/support/reordered-workflows.ts)',
    );
  }
  const after = found.index + next.index + next[0].length;
  return `${without.slice(0, after)}${next[1]}${statement}\n${without.slice(after)}`;
}

/**
 * Bundles a copy of workflows/ with {@link reorderUploadSaga} applied. The copy lives in the
 * git-ignored .scratch/ inside the repo so that its imports resolve from our node_modules;
 * its `import type`s of ../activities are erased by the bundler.
 */
export async function bundleReorderedWorkflows(): Promise<{ code: string }> {
  const dir = join(ROOT, '.scratch', `reordered-${process.pid}-${Date.now()}`);
  const workflows = join(dir, 'workflows');
  try {
    await mkdir(dir, { recursive: true });
    await cp(join(ROOT, 'workflows'), workflows, { recursive: true });
    const file = join(workflows, UPLOAD);
    await writeFile(file, reorderUploadSaga(await readFile(file, 'utf8')));
    const quiet = () => undefined;
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(workflows, 'index.ts'),
      logger: {
        trace: quiet,
        debug: quiet,
        info: quiet,
        log: quiet,
        warn: quiet,
        error: (m: string) => console.error(m),
      },
    });
    return { code };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
