/**
 * The fleet test's saga mix on one vCenter: 14 uploads of 1 MiB to 300 MiB (mostly small), 5
 * downloads to the host that starts them, and one sync of a 4-ISO catalog, 20 sagas, each
 * transfer through a counting proxy (the vCenter's `transferUrl`) so bytes sent twice are measured.
 * Sizes are odd on purpose (partial last chunks, O_DIRECT's unaligned tail).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { startDownload } from '../../client/download';
import { startSync } from '../../client/sync';
import { startUpload } from '../../client/upload';
import type { CloConfig } from '../../temporal.config';
import { writeRandomFile, type ExpectedFile } from '../fixtures/content';
import type { ContentLibrarySimulator } from '../simulator';
import { startCountingProxy, type CountingProxy } from './counting-proxy';
import { createTestLibrary, restClient, seedItem } from './library';
import type { WorkerFleet } from './worker-fleet';

export const MiB = 1024 * 1024;
/** Upload sources, shared by both vCenters: 433 MiB, most of it in two files. */
export const UPLOAD_SIZES = [1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 12, 24, 64, 300].map((m, i) => m * MiB + 17 * i);
/** Items seeded on each vCenter for the downloads; the last is the one a kill interrupts. */
export const DOWNLOAD_SIZES = [1, 4, 16, 48, 160].map((m, i) => m * MiB + 29 * i);
/** The sync's catalog: four ISOs, each a child upload saga of the sync. */
export const CATALOG_SIZES = [1, 2, 3, 5].map((m, i) => m * MiB + 7 * i);
/** Name of the file the kill waits on (its download is paced at the source on the simulator). */
export const SLOW_DOWNLOAD = `d4.bin`;

export interface Sources {
  uploads: ExpectedFile[];
  catalog: string;
  catalogFiles: ExpectedFile[];
}

/** Writes the upload sources and the sync catalog under `dir` (the workers' read root). */
export async function writeSources(dir: string): Promise<Sources> {
  const catalog = join(dir, 'catalog');
  await mkdir(catalog, { recursive: true });
  const uploads = await Promise.all(
    UPLOAD_SIZES.map(async (size, i) => writeRandomFile(join(dir, `u${i}.bin`), size, `fleet-u${i}`)),
  );
  const catalogFiles = await Promise.all(
    CATALOG_SIZES.map(async (size, i) => writeRandomFile(join(catalog, `iso${i}.iso`), size, `fleet-c${i}`)),
  );
  return { uploads, catalog, catalogFiles };
}

export type Expected = Record<string, { size: number; sha1: string }>;

/** One vCenter of the test: its library, the items to download, the proxy its transfers cross. */
export interface FleetServer {
  /** The `vcenters.<name>` key, and the table's row. */
  name: 'vcsim' | 'simulator';
  url: string;
  sim?: ContentLibrarySimulator;
  rest: ContentLibraryClient;
  proxy: CountingProxy;
  library: { id: string; name: string };
  /** Seeded items: name → item id and what it holds. */
  downloads: Array<{ name: string; itemId: string; expected: Expected }>;
  close(): Promise<void>;
}

/**
 * Opens `name` at `url`: a proxy for its transfers, a library, and the items to download (pushed
 * through a plain update session, not a saga).
 */
export async function openServer(
  name: FleetServer['name'],
  url: string,
  datastore: string,
  opts: { sim?: ContentLibrarySimulator; bytesPerSecond?: number } = {},
): Promise<FleetServer> {
  const proxy = await startCountingProxy(url, opts.bytesPerSecond);
  const rest = restClient(url);
  const library = await createTestLibrary(rest, datastore, 'fleet');
  const downloads = [];
  for (const [i, size] of DOWNLOAD_SIZES.entries()) {
    const file = `d${i}.bin`;
    const seeded = await seedItem(rest, library.id, `d${i}`, [{ name: file, size, seed: `fleet-d${i}` }]);
    downloads.push({ name: `d${i}`, ...seeded });
  }
  return {
    name,
    url,
    sim: opts.sim,
    rest,
    proxy,
    library,
    downloads,
    close: async () => {
      await rest.close();
      await proxy.close();
    },
  };
}

export type SagaKind = 'upload' | 'download' | 'sync';

export interface Saga {
  server: FleetServer;
  kind: SagaKind;
  /** The item (upload, download) or the library (sync). */
  name: string;
  handle: WorkflowHandle;
  /** What must end up on the vCenter (upload, sync: per item) or on disk (download). */
  expected: Record<string, Expected>;
  /** Bytes the saga has to move once. */
  bytes: number;
}

const sum = (e: Expected) => Object.values(e).reduce((s, f) => s + f.size, 0);
const asExpected = (f: ExpectedFile): Expected => ({ [f.name]: { size: f.size, sha1: f.sha1 } });

/**
 * Starts every saga of the mix on `server` at once. Downloads name `fleet.localDisk`, which each
 * worker resolves to its own disk: the files land on whichever host answers first.
 */
export async function startSagas(
  client: Client,
  config: CloConfig,
  server: FleetServer,
  sources: Sources,
  fleet: WorkerFleet,
): Promise<Saga[]> {
  const opts = { taskQueue: config.temporal.taskQueue, config };
  const library = { id: server.library.id };
  const vcenter = server.name;
  const uploads = sources.uploads.map(async (file, i): Promise<Saga> => {
    const name = `u${i}`;
    const handle = await startUpload(
      client,
      { vcenter, library, item: { name }, source: { kind: 'file', path: file.path } },
      opts,
    );
    return { server, kind: 'upload', name, handle, expected: { [name]: asExpected(file) }, bytes: file.size };
  });
  const downloads = server.downloads.map(async (d): Promise<Saga> => {
    const handle = await startDownload(
      client,
      {
        vcenter,
        library,
        item: { id: d.itemId },
        destination: join(fleet.localDisk, vcenter, d.name),
      },
      opts,
    );
    return {
      server,
      kind: 'download',
      name: d.name,
      handle,
      expected: { [d.name]: d.expected },
      bytes: sum(d.expected),
    };
  });
  const sync = (async (): Promise<Saga> => {
    const handle = await startSync(
      client,
      { vcenter, library, source: { kind: 'catalog', path: sources.catalog } },
      opts,
    );
    const expected = Object.fromEntries(
      sources.catalogFiles.map((f) => [f.name.replace(/\.iso$/, ''), asExpected(f)]),
    );
    const bytes = sources.catalogFiles.reduce((s, f) => s + f.size, 0);
    return { server, kind: 'sync', name: server.library.name, handle, expected, bytes };
  })();
  return await Promise.all([...uploads, ...downloads, sync]);
}
