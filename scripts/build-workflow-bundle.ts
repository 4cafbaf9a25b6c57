/**
 * `npm run build:workflows [-- PATH]`: bundles workflows/ once, ahead of time, into
 * dist/workflow-bundle.js (or PATH). A worker running from dist/ picks it up; any other
 * takes it with `clo worker --workflow-bundle PATH` or CLO_WORKFLOW_BUNDLE=PATH.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { buildWorkflowBundle } from '../worker/workflow-bundle';

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(__dirname, '..', 'dist', 'workflow-bundle.js'));
  const code = await buildWorkflowBundle();
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, code);
  console.error(`workflow bundle: ${out} (${(code.length / 1024 / 1024).toFixed(1)} MiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
