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
 * Moves the saga's first search-attribute upsert (the one that sets CloVCenter, issued before
 * any activity) to just after its first control-plane call. Both commands still run, in the
 * other order, so a history recorded by the original code no longer matches. Throws when the
 * code no longer has that shape, so a refactor cannot turn this into a silent no-op.
 */
export function reorderUploadSaga(source: string): string {
  const start = source.indexOf('export async function uploadLibraryItem(');
  if (start < 0) throw new Error(`${UPLOAD}: no \`export async function uploadLibraryItem(\` to reorder`);
  const upsert = /^[ \t]*upsertSearchAttributes\(\[[^;]*?\bVCENTER\b[^;]*?\]\);[ \t]*\n/m;
  const found = upsert.exec(source.slice(start));
  if (!found) {
    throw new Error(
      `${UPLOAD}: uploadLibraryItem no longer starts with an \`upsertSearchAttributes([... VCENTER ...]);\` ` +
        'to move; update reorderUploadSaga (test/support/reordered-workflows.ts) to swap two other commands',
    );
  }
  const at = start + found.index;
  const statement = found[0].trim();
  const without = source.slice(0, at) + source.slice(at + found[0].length);
  const call = /^([ \t]*)[^\n]*\bawait control\.\w+\([^;]*\);[ \t]*\n/m;
  const next = call.exec(without.slice(at));
  if (!next) {
    throw new Error(
      `${UPLOAD}: no \`await control.<activity>(...);\` after the first upsert to move it behind; ` +
        'update reorderUploadSaga (test/support/reordered-workflows.ts)',
    );
  }
  const after = at + next.index + next[0].length;
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
