/**
 * SHA-2 where vSphere 8 uses it, through the upload saga: OVF/OVA manifests in SHA256 and
 * SHA512 (each file the manifest lists is hashed while it streams and checked before
 * `complete`), and a PULL whose `checksum_info` names SHA256 or SHA512
 * (8.0.2 ContentLibraryItemFileChecksumAlgorithm), which the server verifies. On vcsim and on
 * the simulator; SHA-1 manifests are covered by upload-happy.test.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload, type UploadInput } from '../../client/upload';
import { makeOva, makeOvfPackage, writeRandomFile, type OvfPackage } from '../fixtures/content';
import { failureOf } from '../support/failures';
import { createTestLibrary, metadataFirst, readItemBack, restClient } from '../support/library';
import { serveFile } from '../support/serve-file';
import { startTarget, type Target } from '../support/targets';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

/** Rewrites the package's manifest with `algorithm` lines, in the notation `SHA512(name)= hex`. */
async function rewriteManifest(pkg: OvfPackage, algorithm: 'SHA256' | 'SHA512'): Promise<void> {
  const lines: string[] = [];
  for (const f of pkg.files) {
    if (f.name.endsWith('.mf')) continue;
    const bytes = await readFile(join(pkg.dir, f.name));
    lines.push(
      `${algorithm}(${f.name})= ${createHash(algorithm.toLowerCase()).update(bytes).digest('hex')}\n`,
    );
  }
  await writeFile(pkg.manifestPath!, lines.join(''));
}

describe.each(['vcsim', 'simulator'] as const)('SHA-2 digests in uploads on %s', (targetName) => {
  let target: Target;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;
  let http: Server;
  let httpUrl: string;

  beforeAll(async () => {
    target = await startTarget(targetName);
    worker = await startTestWorker(
      testConfig({ target: { url: target.url, username: 'user', password: 'pass' } }),
    );
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-sha2-'));
    http = createServer((req, res) => serveFile(res, join(dir, basename(decodeURIComponent(req.url ?? '')))));
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await worker?.stop();
    await new Promise((ok) => http?.close(ok));
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (input: Omit<UploadInput, 'vcenter' | 'library'>) =>
    startUpload(
      worker.client,
      { vcenter: 'target', library: { name: library.name }, ...input },
      { taskQueue: worker.taskQueue },
    );
  const items = async (name: string) => rest.findLibraryItems({ library_id: library.id, name });

  it('uploads an OVA whose manifest lists SHA512 digests', async () => {
    const pkg = await makeOvfPackage(join(dir, 'sha512-src'), {
      name: 'sha512',
      disks: [{ size: 1024 * 1024 + 7 }],
      manifest: 'SHA256',
    });
    await rewriteManifest(pkg, 'SHA512');
    const ova = await makeOva(join(dir, 'sha512.ova'), pkg.dir);
    const result = await (
      await start({
        item: { name: `sha512-${randomUUID().slice(0, 6)}` },
        source: { kind: 'ova', path: ova.path },
      })
    ).result();
    expect(result.files.map((f) => f.name)).toEqual(metadataFirst(ova.members.map((m) => m.name)));
    const back = await readItemBack(rest, result.itemId);
    for (const m of ova.members) expect(back[m.name]).toEqual({ size: m.size, sha1: m.sha1 });
  });

  it.each(['SHA256', 'SHA512'] as const)(
    'refuses an OVF whose %s manifest does not match a disk, naming the file, and creates nothing',
    async (algorithm) => {
      const pkg = await makeOvfPackage(join(dir, `bad-${algorithm}`), {
        name: `bad-${algorithm}`,
        disks: [{ size: 256 * 1024 }],
        manifest: 'SHA256',
      });
      await rewriteManifest(pkg, algorithm);
      const disk = pkg.disks[0]!;
      // One byte of the disk changes after the manifest was written.
      const bytes = await readFile(join(pkg.dir, disk.name));
      bytes[0] = bytes[0]! ^ 0xff;
      await writeFile(join(pkg.dir, disk.name), bytes);
      const name = `bad-${algorithm}-${randomUUID().slice(0, 6)}`;
      const err = await (
        await start({ item: { name }, source: { kind: 'ovf', path: pkg.descriptorPath } })
      )
        .result()
        .catch((e: unknown) => e);
      const failure = failureOf(err);
      expect(failure.type).toBe('ChecksumMismatch');
      expect(failure.message).toContain(`${disk.name}: ${algorithm} is `);
      expect(await items(name)).toEqual([]);
    },
  );

  it.each(['SHA256', 'SHA512'] as const)(
    'has the server pull a file verified against a %s checksum_info, and fail on a wrong one',
    async (algorithm) => {
      const file = await writeRandomFile(join(dir, `pull-${algorithm}.iso`), 300 * 1024 + 1, algorithm);
      const digest = createHash(algorithm.toLowerCase())
        .update(await readFile(file.path))
        .digest('hex');
      const source = (checksum: string) =>
        ({
          kind: 'url',
          url: `${httpUrl}/pull-${algorithm}.iso`,
          allowPlainHttp: true,
          size: file.size,
          checksum: { algorithm, checksum },
        }) as const;
      const ok = await (
        await start({
          item: { name: `pull-${algorithm}-${randomUUID().slice(0, 6)}` },
          source: source(digest),
        })
      ).result();
      expect(await readItemBack(rest, ok.itemId)).toEqual({
        [`pull-${algorithm}.iso`]: { size: file.size, sha1: file.sha1 },
      });

      const wrong = digest.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      const name = `pull-bad-${algorithm}-${randomUUID().slice(0, 6)}`;
      const err = await (
        await start({ item: { name }, source: source(wrong) })
      )
        .result()
        .catch((e: unknown) => e);
      expect(failureOf(err).type).toBe('PullFailed');
    },
  );
});
