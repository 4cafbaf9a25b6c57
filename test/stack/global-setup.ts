/**
 * Starts one real Temporal dev server and one vcsim for the whole `stack` run, and
 * bundles the workflow code once; tests read the addresses from CLO_TEST_STACK.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureTools, startTemporalDevServer, startVcsim } from '../../client/dev-stack';
import type { StackInfo } from './stack-info';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const tools = await ensureTools();
  const dir = await mkdtemp(join(tmpdir(), 'clo-stack-'));
  const [temporal, vcsim, vcsimTls, bundle] = await Promise.all([
    startTemporalDevServer({ bin: tools.temporal }),
    startVcsim({ bin: tools.vcsim }),
    startVcsim({ bin: tools.vcsim, tls: true }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger }),
  ]);
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, bundle.code);
  const info: StackInfo = {
    temporalAddress: temporal.address,
    namespace: temporal.namespace,
    ...(temporal.uiUrl ? { uiUrl: temporal.uiUrl } : {}),
    vcsim: { url: vcsim.url, datastore: vcsim.datastore },
    vcsimTls: {
      url: vcsimTls.url,
      datastore: vcsimTls.datastore,
      thumbprint: vcsimTls.thumbprint ?? '',
      certFile: vcsimTls.cert_file ?? '',
    },
    workflowBundlePath,
    dir,
  };
  process.env.CLO_TEST_STACK = JSON.stringify(info);
  (globalThis as Record<string, unknown>).__CLO_STACK_STOP__ = async () => {
    await Promise.allSettled([temporal.stop(), vcsim.stop(), vcsimTls.stop()]);
  };
  console.log(
    `\n[stack] Temporal ${temporal.address}, vcsim ${vcsim.url}, ready in ${Date.now() - started} ms`,
  );
}

const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
