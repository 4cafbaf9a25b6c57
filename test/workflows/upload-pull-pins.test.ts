/**
 * A PULL from an HTTPS server with a self-signed certificate: the vCenter accepts it only when
 * the url source pins it, by a SHA-1 or SHA-256 `ssl_certificate_thumbprint` or the PEM
 * `ssl_certificate` of later releases (8.0.2 TransferEndpoint). On the simulator, which checks
 * the pin as the spec says; vcsim fetches with verification off, so it cannot tell.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload, type UploadInput } from '../../client/upload';
import { writeRandomFile, type ExpectedFile } from '../fixtures/content';
import { failureOf } from '../support/failures';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { serveFile } from '../support/serve-file';
import { startTarget, type Target } from '../support/targets';
import { makeCert } from '../unit/content-library/fake-server';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe('PULL from a self-signed HTTPS source on the simulator', () => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let https: Server;
  let baseUrl: string;
  let cert: { key: string; cert: string };
  let other: { key: string; cert: string };
  let file: ExpectedFile;

  beforeAll(async () => {
    [cert, other] = await Promise.all([makeCert(), makeCert()]);
    target = await startTarget('simulator');
    worker = await startTestWorker(
      testConfig({ target: { url: target.url, username: 'user', password: 'pass' } }),
    );
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-pull-pins-'));
    file = await writeRandomFile(join(dir, 'pinned.iso'), 200 * 1024 + 5, 'pins');
    https = createServer({ key: cert.key, cert: cert.cert }, (req, res) =>
      serveFile(res, join(dir, basename(decodeURIComponent(req.url ?? '')))),
    );
    await new Promise<void>((ok) => https.listen(0, '127.0.0.1', ok));
    baseUrl = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await worker?.stop();
    await new Promise((ok) => https?.close(ok));
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const pull = async (pin: Partial<Extract<UploadInput['source'], { kind: 'url' }>>) => {
    const handle = await startUpload(
      worker.client,
      {
        vcenter: 'target',
        library: { name: library.name },
        item: { name: `pin-${randomUUID().slice(0, 6)}` },
        source: { kind: 'url', url: `${baseUrl}/pinned.iso`, size: file.size, ...pin },
      },
      { taskQueue: worker.taskQueue },
    );
    return handle.result();
  };
  const pulledIntact = async (itemId: string) =>
    expect(await readItemBack(rest, itemId)).toEqual({ 'pinned.iso': { size: file.size, sha1: file.sha1 } });

  it('refuses the source when nothing is pinned (standard verification)', async () => {
    const err = await pull({}).catch((e: unknown) => e);
    expect(failureOf(err).type).toBe('PullFailed');
  });

  it('pulls when the SHA-1 or the SHA-256 thumbprint is pinned, plain hex or colon-separated', async () => {
    const x509 = new X509Certificate(cert.cert);
    await pulledIntact((await pull({ sslCertificateThumbprint: x509.fingerprint })).itemId);
    const plain256 = x509.fingerprint256.replace(/:/g, '').toLowerCase();
    await pulledIntact((await pull({ sslCertificateThumbprint: plain256 })).itemId);
  });

  it('pulls when the PEM certificate is pinned, which wins over a stale thumbprint', async () => {
    await pulledIntact((await pull({ sslCertificate: cert.cert })).itemId);
    const stale = new X509Certificate(other.cert).fingerprint256;
    await pulledIntact((await pull({ sslCertificate: cert.cert, sslCertificateThumbprint: stale })).itemId);
  });

  it('fails the pull when the pin names another certificate', async () => {
    const wrong256 = new X509Certificate(other.cert).fingerprint256;
    expect(failureOf(await pull({ sslCertificateThumbprint: wrong256 }).catch((e: unknown) => e)).type).toBe(
      'PullFailed',
    );
    expect(failureOf(await pull({ sslCertificate: other.cert }).catch((e: unknown) => e)).type).toBe(
      'PullFailed',
    );
  });
});
