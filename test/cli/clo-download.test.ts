import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startUpload } from '../../client/upload';
import type { DownloadResult } from '../../workflows/definitions/download';
import { makeOvfPackage } from '../fixtures/content';
import { listDir, sha1OfFile } from '../support/download';
import { createTestLibrary, restClient } from '../support/library';
import { clo, cloEnv } from '../support/clo';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

describe('clo download', () => {
  let dir: string;
  let worker: TestWorker;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-cli-download-'));
    const config = testConfig();
    worker = await startTestWorker(config);
    env = await cloEnv(config, dir);
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads the files --files names into --dest and prints the result as JSON with --wait --json', async () => {
    const rest = restClient(stackInfo().vcsim.url);
    const library = await createTestLibrary(rest, stackInfo().vcsim.datastore);
    await rest.close();
    const pkg = await makeOvfPackage(join(dir, 'src'), {
      name: 'cli',
      disks: [{ size: 64 * 1024 }],
      manifest: 'SHA1',
    });
    const item = `cli-${randomUUID().slice(0, 6)}`;
    const up = await startUpload(
      worker.client,
      {
        vcenter: 'vcsim',
        library: { id: library.id },
        item: { name: item },
        source: { kind: 'ovf', path: pkg.descriptorPath },
      },
      { taskQueue: worker.taskQueue },
    );
    await up.result();
    const [descriptor, manifest] = pkg.files;
    const dest = join(dir, 'dest');
    const { code, stdout, stderr } = await clo(
      [
        'download',
        '--library',
        library.name,
        '--item',
        item,
        '--dest',
        dest,
        '--vcenter',
        'vcsim',
        '--files',
        `${manifest!.name}, *.ovf`,
        '--wait',
        '--json',
      ],
      env,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout) as DownloadResult;
    expect(result.files.map((f) => f.name).sort()).toEqual([descriptor!.name, manifest!.name].sort());
    expect(await listDir(dest)).toEqual([descriptor!.name, manifest!.name].sort());
    expect(await sha1OfFile(join(dest, descriptor!.name))).toBe(descriptor!.sha1);
  });
});
