/**
 * `npm run build:workflows [-- [--sealed-failures | --both] [PATH]]`: bundles workflows/ once,
 * ahead of time, into dist/workflow-bundle.js (with --sealed-failures, by default
 * dist/workflow-bundle-sealed-failures.js; or PATH). A worker running from dist/ picks up the
 * one its keys need; any other takes it with `clo worker --workflow-bundle PATH` or
 * CLO_WORKFLOW_BUNDLE=PATH. `--sealed-failures` bundles the failure converter that seals failure
 * messages: workers with an encryption key need it and refuse a bundle without it
 * (docs/security.md). `--both` writes both dist/ bundles (what `npm run build` does).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { buildWorkflowBundle, distWorkflowBundleName } from '../worker/workflow-bundle';

const OPTIONS = ['--sealed-failures', '--both'];

async function write(out: string, sealedFailures: boolean): Promise<void> {
  const code = await buildWorkflowBundle({ sealedFailures });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, code);
  const kind = sealedFailures ? ', failures sealed' : '';
  console.error(`workflow bundle: ${out} (${(code.length / 1024 / 1024).toFixed(1)} MiB${kind})`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const paths = args.filter((a) => !OPTIONS.includes(a));
  const unknown = paths.find((a) => a.startsWith('-'));
  if (unknown) throw new Error(`unknown option ${unknown}; the options are ${OPTIONS.join(', ')}`);
  const dist = (sealed: boolean) => join(__dirname, '..', 'dist', distWorkflowBundleName(sealed));
  if (args.includes('--both')) {
    if (paths.length) throw new Error('--both writes the two dist/ bundles: give no PATH with it');
    await write(dist(false), false);
    await write(dist(true), true);
    return;
  }
  const sealedFailures = args.includes('--sealed-failures');
  await write(paths[0] ? resolve(paths[0]) : dist(sealedFailures), sealedFailures);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
