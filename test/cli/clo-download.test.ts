import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startUpload } from '../../client/upload';
import type { DownloadResult } from '../../workflows/definitions/download';
import { makeOvfPackage } from '../fixtures/content';
import { listDir, sha1OfFile } from '../support/download';
import { createTestLibrary, restClient } from '../support/library';
import { cliFixture, clo } from '../support/clo';
import { stackInfo } from '../stack/stack-info';

describe('clo download', () => {
  const cli = cliFixture('clo-cli-download-');

  it('downloads the files --files names into --dest and prints the result as JSON with --wait --json', async () => {
    const rest = restClient(stackInfo().vcsim.url);
    const library = await createTestLibrary(rest, stackInfo().vcsim.datastore);
    await rest.close();
    const pkg = await makeOvfPackage(join(cli.dir, 'src'), {
      name: 'cli',
      disks: [{ size: 64 * 1024 }],
      manifest: 'SHA1',
    });
    const item = `cli-${randomUUID().slice(0, 6)}`;
    const up = await startUpload(
      cli.worker.client,
      {
        vcenter: 'vcsim',
        library: { id: library.id },
        item: { name: item },
        source: { kind: 'ovf', path: pkg.descriptorPath },
      },
      { taskQueue: cli.worker.taskQueue },
    );
    await up.result();
    const [descriptor, manifest] = pkg.files;
    const dest = join(cli.dir, 'dest');
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
      cli.env,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout) as DownloadResult;
    expect(result.files.map((f) => f.name).sort()).toEqual([descriptor!.name, manifest!.name].sort());
    expect(await listDir(dest)).toEqual([descriptor!.name, manifest!.name].sort());
    expect(await sha1OfFile(join(dest, descriptor!.name))).toBe(descriptor!.sha1);
    // vcsim names no checksum, so nothing was hashed...
    for (const f of result.files) expect(f).not.toHaveProperty('sha1');

    // ...unless --checksum asks for each file's SHA-1.
    const args = ['--library', library.name, '--item', item, '--vcenter', 'vcsim', '--files', '*.ovf'];
    const hashed = await clo(
      ['download', ...args, '--dest', join(cli.dir, 'hashed'), '--checksum', '--wait', '--json'],
      cli.env,
    );
    expect({ code: hashed.code, stderr: hashed.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(hashed.stdout) as DownloadResult).files).toEqual([
      expect.objectContaining({ name: descriptor!.name, sha1: descriptor!.sha1 }),
    ]);
  });
});
