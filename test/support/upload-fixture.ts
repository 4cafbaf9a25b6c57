/**
 * What most upload-saga tests on the simulator set up: the simulator, a throttling proxy in
 * front of its transfer endpoints (full speed unless a test slows it), a worker whose vCenter
 * `target` sends transfers through the proxy, a REST client, a library and a scratch
 * directory. Call `useUploadFixture()` in a describe block; its fields are set in beforeAll.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startUpload, type UploadInput } from '../../client/upload';
import type { CloConfig } from '../../temporal.config';
import type { uploadLibraryItem } from '../../workflows/upload-library-item';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { createTestLibrary, restClient } from './library';
import { startTarget, type Target } from './targets';
import { startThrottleProxy, type ThrottleProxy } from './throttle-proxy';

export interface UploadFixture {
  target: Target;
  worker: TestWorker;
  rest: ContentLibraryClient;
  library: { id: string; name: string };
  dir: string;
  proxy: ThrottleProxy;
  /** Starts an upload into the fixture's library on vCenter `target`, with the worker's timeouts. */
  start(input: Omit<UploadInput, 'vcenter' | 'library'>): Promise<WorkflowHandle<typeof uploadLibraryItem>>;
  /** Ids of the library's items named `name`. */
  itemNamed(name: string): Promise<string[]>;
}

export function useUploadFixture(
  opts: {
    /** Bytes per second per transfer connection at the start. @default 1 GiB/s */
    rate?: number;
    /** Changes the worker's config before it starts. */
    configure?: (config: CloConfig) => void;
  } = {},
): UploadFixture {
  const f = {} as UploadFixture;
  beforeAll(async () => {
    f.target = await startTarget('simulator');
    f.proxy = await startThrottleProxy(f.target.url, opts.rate ?? 1024 * 1024 * 1024);
    const config = testConfig({
      target: { url: f.target.url, username: 'user', password: 'pass', transferUrl: f.proxy.url },
    });
    opts.configure?.(config);
    f.worker = await startTestWorker(config);
    f.rest = restClient(f.target.url);
    f.library = await createTestLibrary(f.rest, f.target.datastore);
    f.dir = await mkdtemp(join(tmpdir(), 'clo-upload-'));
    f.start = async (input) =>
      startUpload(
        f.worker.client,
        { vcenter: 'target', library: { name: f.library.name }, ...input },
        { taskQueue: f.worker.taskQueue, config: f.worker.config },
      );
    f.itemNamed = async (name) => f.rest.findLibraryItems({ library_id: f.library.id, name });
  });
  afterAll(async () => {
    await f.worker?.stop();
    await f.proxy?.close();
    await f.rest?.close();
    await f.target?.close();
    if (f.dir) await rm(f.dir, { recursive: true, force: true });
  });
  return f;
}
