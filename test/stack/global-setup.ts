/**
 * Starts one real Temporal dev server and one vcsim for the whole `stack` run, and
 * bundles the workflow code once; tests read the addresses from CLO_TEST_STACK.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureTools, freePort, startTemporalDevServer, startVcsim } from '../../client/dev-stack';
import { createCodecServer } from '../../codec/codec-server';
import { sealedFailureConverterPath } from '../../codec/data-converter';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { parseEncryptionKeys } from '../../codec/keys';
import type { StackInfo } from './stack-info';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const tools = await ensureTools();
  const dir = await mkdtemp(join(tmpdir(), 'clo-stack-'));
  const codec = await startCodecServer();
  const [temporal, vcsim, vcsimTls, bundle, sealedBundle] = await Promise.all([
    startTemporalDevServer({ bin: tools.temporal, uiPort: codec.uiPort, uiCodecEndpoint: codec.endpoint }),
    startVcsim({ bin: tools.vcsim }),
    startVcsim({ bin: tools.vcsim, tls: true }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger }),
    // Workers with an encryption key refuse a bundle whose failures are not sealed (worker/workflow-bundle.ts).
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      failureConverterPath: sealedFailureConverterPath,
      logger: quietLogger,
    }),
  ]);
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, bundle.code);
  const sealedWorkflowBundlePath = join(dir, 'workflow-bundle-sealed-failures.js');
  await writeFile(sealedWorkflowBundlePath, sealedBundle.code);
  const info: StackInfo = {
    temporalAddress: temporal.address,
    namespace: temporal.namespace,
    ...(temporal.uiUrl ? { uiUrl: temporal.uiUrl } : {}),
    codec: { endpoint: codec.endpoint, keys: codec.keys },
    temporalBin: tools.temporal,
    vcsim: { url: vcsim.url, datastore: vcsim.datastore },
    vcsimTls: {
      url: vcsimTls.url,
      datastore: vcsimTls.datastore,
      thumbprint: vcsimTls.thumbprint ?? '',
      certFile: vcsimTls.cert_file ?? '',
    },
    workflowBundlePath,
    sealedWorkflowBundlePath,
    dir,
  };
  process.env.CLO_TEST_STACK = JSON.stringify(info);
  (globalThis as Record<string, unknown>).__CLO_STACK_STOP__ = async () => {
    await Promise.allSettled([temporal.stop(), vcsim.stop(), vcsimTls.stop(), codec.stop()]);
  };
  console.log(
    `\n[stack] Temporal ${temporal.address}, vcsim ${vcsim.url}, ready in ${Date.now() - started} ms`,
  );
}

/**
 * A codec server with a key made for this run, for the dev server's Web UI: the UI test
 * encrypts with the same key and sees its payloads decoded. Payloads of other tests are not
 * encrypted and pass through it unchanged. The UI's port is chosen here so CORS can name it.
 */
async function startCodecServer(): Promise<{
  endpoint: string;
  keys: string;
  uiPort: number;
  stop: () => Promise<void>;
}> {
  const keys = `stack-${randomBytes(3).toString('hex')}=${randomBytes(32).toString('base64')}`;
  const settings = parseEncryptionKeys([keys], () => 'the stack key');
  if ('problems' in settings) throw new Error(settings.problems.join('; '));
  const uiPort = await freePort('127.0.0.1');
  const server = createCodecServer({
    codec: new EncryptionCodec(settings),
    corsOrigins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    keys,
    uiPort,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
