import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { uploadWorkflowId } from '../../client/upload';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { cliFixture, clo } from '../support/clo';
import { stackInfo } from '../stack/stack-info';

describe('clo upload', () => {
  const cli = cliFixture('clo-cli-');

  it('refuses a path that does not exist with one line and exit code 2, starting nothing', async () => {
    const { code, stderr } = await clo(
      ['upload', '/nonexistent/photon.iso', '--library', 'lib', '--item', 'photon', '--vcenter', 'vcsim'],
      cli.env,
    );
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^clo: \/nonexistent\/photon.iso does not exist/);
    const id = uploadWorkflowId({ vcenter: 'vcsim', library: { name: 'lib' }, item: { name: 'photon' } });
    await expect(cli.worker.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('uploads a file into vcsim and prints the result as JSON with --wait --json', async () => {
    const rest = restClient(stackInfo().vcsim.url);
    const library = await createTestLibrary(rest, stackInfo().vcsim.datastore);
    await rest.close();
    const file = await writeRandomFile(join(cli.dir, 'cli.iso'), 256 * 1024, 'cli');
    const item = `cli-${randomUUID().slice(0, 6)}`;
    const upload = async (args: string[]) =>
      await clo(
        ['upload', file.path, '--library', library.name, '--vcenter', 'vcsim', '--wait', '--json', ...args],
        cli.env,
      );
    const { code, stdout, stderr } = await upload(['--item', item]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout) as {
      files: Array<{ name: string; size: number; bytesSent: number }>;
      itemCreated: boolean;
    };
    expect(result.itemCreated).toBe(true);
    // No sha1: nothing asked for one (upload options.checksum), so the bytes were not hashed.
    expect(result.files).toEqual([
      expect.objectContaining({ name: 'cli.iso', size: file.size, bytesSent: file.size }),
    ]);
    expect(result.files[0]).not.toHaveProperty('sha1');

    // --checksum asks for the SHA-1 of what was sent.
    const hashed = await upload(['--item', `${item}-sha1`, '--checksum']);
    expect({ code: hashed.code, stderr: hashed.stderr }).toEqual({ code: 0, stderr: '' });
    const withSha1 = JSON.parse(hashed.stdout) as { files: Array<{ name: string; sha1?: string }> };
    expect(withSha1.files).toEqual([expect.objectContaining({ name: 'cli.iso', sha1: file.sha1 })]);
  });
});
