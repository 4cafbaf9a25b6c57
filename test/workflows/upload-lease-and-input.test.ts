/**
 * The session lease (keep-alive beside the work) and the saga's input checks, on the
 * simulator, whose sessions really expire after an idle timeout.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentLibraryClient } from '../../activities/content-library';
import type { UploadResult } from '../../workflows/definitions/upload';
import { makeOvfPackage, writeRandomFile } from '../fixtures/content';
import { createTestLibrary, readItemBack, restClient } from '../support/library';
import { startTarget, type Target } from '../support/targets';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy';
import { failureOf } from '../support/failures';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

describe('uploadLibraryItem lease and input checks on the simulator', () => {
  let target: Target;
  let proxy: ThrottleProxy;
  let worker: TestWorker;
  let rest: ContentLibraryClient;
  let library: { id: string; name: string };
  let dir: string;

  beforeAll(async () => {
    // Sessions expire after 2 s without activity: shorter than the transfer and the slow validate below.
    target = await startTarget('simulator', { sessionIdleTimeoutMs: 2000 });
    proxy = await startThrottleProxy(target.url, 1024 * 1024 * 1024);
    worker = await startTestWorker(
      testConfig({ target: { url: target.url, username: 'user', password: 'pass', transferUrl: proxy.url } }),
    );
    rest = restClient(target.url);
    library = await createTestLibrary(rest, target.datastore);
    dir = await mkdtemp(join(tmpdir(), 'clo-lease-'));
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy?.close();
    await rest?.close();
    await target?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (input: Record<string, unknown>) =>
    worker.client.workflow.execute('uploadLibraryItem', {
      taskQueue: worker.taskQueue,
      workflowId: `input-${randomUUID()}`,
      args: [input],
    }) as Promise<UploadResult>;

  it('keeps one session alive through a transfer and a slow server, each longer than the idle timeout, with rising client_progress', async () => {
    const file = await writeRandomFile(join(dir, 'slow.iso'), 6 * 1024 * 1024, 'slow');
    proxy.setRate(1024 * 1024);
    target.sim!.faults.addLatency({ operation: 'updatesession.file.validate', ms: 5000, count: 1 });
    const name = `lease-${randomUUID().slice(0, 6)}`;
    const result = await run({
      vcenter: 'target',
      library: { id: library.id },
      item: { name },
      source: { kind: 'file', path: file.path },
      options: { keepAliveIntervalMs: 1000 },
    });
    proxy.setRate(1024 * 1024 * 1024);
    expect(result.sessionRestarts).toBe(0);
    expect(result.sessionIds).toHaveLength(1);
    const session = target.sim!.stats.sessions().find((s) => s.id === result.sessionIds[0]);
    expect(session?.state).toBe('DONE');
    expect(session?.client_progress).toBe(99);
    expect(target.sim!.stats.calls('updatesession.keep-alive')).toBeGreaterThanOrEqual(5);
    expect(await readItemBack(rest, result.itemId)).toEqual({
      'slow.iso': { size: file.size, sha1: file.sha1 },
    });
  });

  describe('bad input fails with a message naming the problem, and creates no item and no session', () => {
    let creates: { sessions: number; items: number };
    beforeEach(() => {
      creates = {
        sessions: target.sim!.stats.calls('updatesession.create'),
        items: target.sim!.stats.calls('item.create'),
      };
    });
    afterEach(() => {
      expect(target.sim!.stats.calls('updatesession.create')).toBe(creates.sessions);
      expect(target.sim!.stats.calls('item.create')).toBe(creates.items);
    });
    const base = () => ({
      vcenter: 'target',
      library: { id: library.id },
      item: { name: `bad-${randomUUID().slice(0, 6)}` },
    });

    it('a path that does not exist (inside the read roots)', async () => {
      const missing = join(dir, 'nonexistent', 'photon.iso');
      const failure = failureOf(
        await run({ ...base(), source: { kind: 'file', path: missing } }).catch((e: unknown) => e),
      );
      expect(failure.type).toBe('SourceError');
      expect(failure.message).toContain(`${missing} does not exist`);
    });

    it('a directory instead of a file', async () => {
      const failure = failureOf(
        await run({ ...base(), source: { kind: 'file', path: dir } }).catch((e: unknown) => e),
      );
      // The allowed-roots check sees it first: only regular files are read.
      expect(failure.type).toBe('PathNotAllowed');
      expect(failure.message).toContain(`source.path ${dir} is not allowed: it is a directory`);
    });

    it('a descriptor that references a missing file', async () => {
      const pkg = await makeOvfPackage(join(dir, 'holes'), {
        name: 'holes',
        disks: [{ size: 1024 }],
        manifest: false,
      });
      await rm(pkg.disks[0]!.path);
      const failure = failureOf(
        await run({ ...base(), source: { kind: 'ovf', path: pkg.descriptorPath } }).catch((e: unknown) => e),
      );
      expect(failure.message).toContain(`references ${pkg.disks[0]!.name}, which does not exist`);
    });

    it('a malformed manifest', async () => {
      const pkg = await makeOvfPackage(join(dir, 'badmf'), {
        name: 'badmf',
        disks: [{ size: 1024 }],
        manifest: 'SHA256',
      });
      await writeFile(
        pkg.manifestPath!,
        (await readFile(pkg.manifestPath!, 'utf8')) + 'this is not a digest line\n',
      );
      const failure = failureOf(
        await run({ ...base(), source: { kind: 'ovf', path: pkg.descriptorPath } }).catch((e: unknown) => e),
      );
      expect(failure.message).toMatch(/manifest .*badmf\.mf line 3 is malformed/);
    });

    it('a library that does not exist', async () => {
      const file = join(dir, 'ok.iso');
      await writeFile(file, 'x');
      const failure = failureOf(
        await run({
          ...base(),
          library: { name: 'no-such-library' },
          source: { kind: 'file', path: file },
        }).catch((e: unknown) => e),
      );
      expect(failure.type).toBe('LibraryNotFound');
      expect(failure.message).toContain('no library named "no-such-library"');
    });

    it('a relative path and a missing vCenter name, named field by field', async () => {
      const failure = failureOf(
        await run({
          library: { id: library.id },
          item: { name: 'x' },
          source: { kind: 'file', path: 'relative/photon.iso' },
        }).catch((e: unknown) => e),
      );
      expect(failure.type).toBe('InvalidInput');
      expect(failure.message).toContain('vcenter');
      expect(failure.message).toContain('source.path');
      expect(failure.message).toContain('expected an absolute path');
    });

    it('a vCenter that is not configured on the worker', async () => {
      await mkdir(join(dir, 'x'), { recursive: true });
      const failure = failureOf(
        await run({
          ...base(),
          vcenter: 'elsewhere',
          source: { kind: 'file', path: join(dir, 'ok.iso') },
        }).catch((e: unknown) => e),
      );
      expect(failure.type).toBe('ConfigError');
      expect(failure.message).toContain('vCenter "elsewhere" is not configured');
    });
  });
});
