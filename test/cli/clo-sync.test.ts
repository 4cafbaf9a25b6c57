import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { syncWorkflowId, type SyncResult } from '../../client/sync';
import { writeRandomFile } from '../fixtures/content';
import { clo, cloEnv } from '../support/clo';
import { createTestLibrary, restClient } from '../support/library';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

describe('clo sync', () => {
  let dir: string;
  let worker: TestWorker;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-sync-cli-'));
    const config = testConfig();
    worker = await startTestWorker(config);
    env = await cloEnv(config, dir);
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a catalog directory that does not exist with exit code 2, starting nothing', async () => {
    const { code, stderr } = await clo(
      ['sync', '--source', '/nonexistent/catalog', '--library', 'lib', '--vcenter', 'vcsim'],
      env,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/^clo: \/nonexistent\/catalog is not a directory/);
    const id = syncWorkflowId({ vcenter: 'vcsim', library: { name: 'lib' } });
    await expect(worker.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('syncs a catalog into vcsim and prints the result as JSON with --wait --json', async () => {
    const rest = restClient(stackInfo().vcsim.url);
    const library = await createTestLibrary(rest, stackInfo().vcsim.datastore, 'cli-sync');
    await rest.close();
    const catalog = join(dir, 'catalog');
    await mkdir(catalog);
    await writeRandomFile(join(catalog, 'boot.iso'), 128 * 1024, 'cli-sync');
    const { code, stdout, stderr } = await clo(
      ['sync', '--source', catalog, '--library', library.name, '--vcenter', 'vcsim', '--wait', '--json'],
      env,
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
