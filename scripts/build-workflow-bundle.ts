/**
 * `npm run build:workflows [-- [--sealed-failures] PATH]`: bundles workflows/ once, ahead of
 * time, into dist/workflow-bundle.js (or PATH). A worker running from dist/ picks it up; any
 * other takes it with `clo worker --workflow-bundle PATH` or CLO_WORKFLOW_BUNDLE=PATH.
 * `--sealed-failures` bundles the failure converter that seals failure messages: workers with
 * an encryption key need it and refuse a bundle without it (docs/security.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { buildWorkflowBundle } from '../worker/workflow-bundle';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sealedFailures = args.includes('--sealed-failures');
  const paths = args.filter((a) => a !== '--sealed-failures');
  const unknown = paths.find((a) => a.startsWith('-'));
  if (unknown) throw new Error(`unknown option ${unknown}; the only option is --sealed-failures`);
  const out = resolve(paths[0] ?? join(__dirname, '..', 'dist', 'workflow-bundle.js'));
  const code = await buildWorkflowBundle({ sealedFailures });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, code);
  const kind = sealedFailures ? ', failures sealed' : '';
  console.error(`workflow bundle: ${out} (${(code.length / 1024 / 1024).toFixed(1)} MiB${kind})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
