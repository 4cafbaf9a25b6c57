import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUpload } from '../../client/upload';
import { createTestLibrary, readItemBack, restClient, updateSessionStates } from '../support/library';
import { testConfig, withWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';

describe('uploadLibraryItem on vcsim', () => {
  let dir: string;
  const rest = () => restClient(stackInfo().vcsim.url);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-upload-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads a single file into a new item whose bytes read back identical', async () => {
    const client = rest();
    const library = await createTestLibrary(client, stackInfo().vcsim.datastore);
    const path = join(dir, 'tools.iso');
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(path, bytes);
    const sha1 = createHash('sha1').update(bytes).digest('hex');

    const result = await withWorker(testConfig(), async ({ client: temporal, taskQueue }) => {
      const handle = await startUpload(
        temporal,
        { vcenter: 'vcsim', library: { name: library.name }, item: { name: `iso-${randomUUID().slice(0, 6)}` }, source: { kind: 'file', path } },
        { taskQueue },
      );
      return await handle.result();
    });

    expect(result.itemCreated).toBe(true);
    expect(result.files).toEqual([{ name: 'tools.iso', size: bytes.length, sha1, bytesSent: bytes.length, resent: false, skipped: false }]);
    expect(await readItemBack(client, result.itemId)).toEqual({ 'tools.iso': { size: bytes.length, sha1 } });
    expect(Object.values(await updateSessionStates(client, result.itemId))).not.toContain('ACTIVE');
    await client.close();
  });
});
