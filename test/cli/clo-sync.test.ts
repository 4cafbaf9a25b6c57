import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { syncWorkflowId, type SyncResult } from '../../client/sync';
import { writeRandomFile } from '../fixtures/content';
import { cliFixture, clo } from '../support/clo';
import { createTestLibrary, restClient } from '../support/library';
import { stackInfo } from '../stack/stack-info';

describe('clo sync', () => {
  const cli = cliFixture('clo-sync-cli-');

  it('refuses a catalog directory that does not exist with exit code 2, starting nothing', async () => {
    const { code, stderr } = await clo(
      ['sync', '--source', '/nonexistent/catalog', '--library', 'lib', '--vcenter', 'vcsim'],
      cli.env,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^clo: \/nonexistent\/catalog does not exist; --source names the catalog directory/,
    );
    const id = syncWorkflowId({ vcenter: 'vcsim', library: { name: 'lib' } });
    await expect(cli.worker.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('syncs a catalog into vcsim and prints the result as JSON with --wait --json', async () => {
    const rest = restClient(stackInfo().vcsim.url);
    const library = await createTestLibrary(rest, stackInfo().vcsim.datastore, 'cli-sync');
    await rest.close();
    const catalog = join(cli.dir, 'catalog');
    await mkdir(catalog);
    await writeRandomFile(join(catalog, 'boot.iso'), 128 * 1024, 'cli-sync');
    const { code, stdout, stderr } = await clo(
      ['sync', '--source', catalog, '--library', library.name, '--vcenter', 'vcsim', '--wait', '--json'],
      cli.env,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout) as SyncResult;
    expect(result).toMatchObject({
      libraryId: library.id,
      source: `catalog:${catalog}`,
      added: ['boot'],
      failed: [],
    });
  });
});
