/**
 * The demo's five steps (`clo demo`), the same on the embedded stack and on a cluster
 * (`--address`): make a real multi-file OVA, upload it through the upload saga, download it
 * back through the download saga and verify every byte, sync a catalog directory into a
 * second library, and create an hourly sync schedule. Whoever calls it owns the stack and
 * the workers; this only talks to Temporal and the vCenter.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { ContentLibraryClient } from '../../activities/content-library';
import type { CloConfig } from '../../temporal.config';
import { formatBytes } from '../../workflows/lib/format';
import { startDownload } from '../download';
import { createSyncSchedule } from '../schedules';
import { startSync } from '../sync';
import { startUpload } from '../upload';
import { makeOva, makeOvfPackage, writeRandomFile } from './sample-content';

/** What the steps run against. */
export interface DemoTarget {
  client: Client;
  config: CloConfig;
  /** The vCenter the workers know as `default` (vcsim): the demo makes its libraries there. */
  vcenter: { url: string; username: string; password: string };
  /** The datastore backing the demo's libraries. */
  datastore: string;
  /** Where the demo writes its files: inside the workers' read and write roots. */
  workDir: string;
}

/** What the steps made, for the caller to point at. */
export interface DemoOutcome {
  uploadWorkflowId: string;
  downloadWorkflowId: string;
  itemId: string;
  scheduleName: string;
}

export async function runDemoSteps(target: DemoTarget): Promise<DemoOutcome> {
  const { client, config } = target;
  const taskQueue = config.temporal.taskQueue;
  // vcsim keeps everything in memory: the demo makes its libraries afresh each run.
  const rest = new ContentLibraryClient(target.vcenter);
  try {
    const run = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const work = join(target.workDir, `demo-${run}`);
    await mkdir(work, { recursive: true });
    const step = (n: number, text: string) => console.log(`\n[${n}/5] ${text}`);

    step(1, 'making a real multi-file OVA (OVF descriptor, SHA-256 manifest, two disks)');
    const pkg = await makeOvfPackage(join(work, 'photon-demo'), {
      name: 'photon-demo',
      disks: [{ size: 6 * 1024 * 1024 }, { size: 3 * 1024 * 1024 }],
      manifest: 'SHA256',
    });
    const ova = await makeOva(join(work, 'photon-demo.ova'), pkg.dir);
    console.log(
      `      ${ova.path} (${formatBytes(ova.size)}, members: ${ova.members.map((m) => m.name).join(', ')})`,
    );
    const templates = await rest.createLibrary(
      { name: `clo-demo-templates-${run}`, datastore_id: target.datastore },
      randomUUID(),
    );

    step(2, 'uploadLibraryItem: the OVA into a new item, through an update session');
    const upload = await startUpload(
      client,
      {
        vcenter: 'default',
        library: { id: templates },
        item: { name: 'photon-demo' },
        source: { kind: 'ova', path: ova.path },
        // The SHA-1s printed below: an upload hashes with SHA-1 only when asked.
        options: { checksum: true },
      },
      {
        taskQueue,
        config,
        summary: `upload photon-demo.ova → clo-demo-templates/photon-demo, ${ova.members.length} files, ${formatBytes(ova.size)}`,
      },
    );
    const uploaded = await upload.result();
    for (const f of uploaded.files)
      console.log(`      ${f.name.padEnd(26)} ${formatBytes(f.size).padStart(9)}  sha1 ${f.sha1}`);
    console.log(`      item ${uploaded.itemId}, session ${uploaded.sessionIds.join(', ')}`);

    step(3, 'downloadLibraryItem: the item back to disk, each file verified and renamed into place');
    const destination = join(work, 'downloaded');
    const download = await startDownload(
      client,
      {
        vcenter: 'default',
        library: { id: templates },
        item: { id: uploaded.itemId },
        destination,
        // The check below compares SHA-1s; vcsim names no checksum, so ask for them.
        options: { checksum: true },
      },
      { taskQueue, config },
    );
    const downloaded = await download.result();
    const expected = new Map(ova.members.map((m) => [m.name, m.sha1]));
    const mismatched = downloaded.files.filter((f) => expected.get(f.name) !== f.sha1);
    if (mismatched.length || downloaded.files.length !== ova.members.length) {
      throw new Error(
        `round trip differs for ${mismatched.map((f) => f.name).join(', ') || 'the file count'}`,
      );
    }
    console.log(
      `      ${downloaded.files.length} files in ${destination}, byte-identical to the OVA's members (SHA-1)`,
    );

    step(4, 'syncLibrary: a catalog directory (an OVA and an ISO) mirrored into a second library');
    const catalog = join(work, 'catalog');
    await mkdir(catalog, { recursive: true });
    await makeOva(join(catalog, 'photon-demo.ova'), pkg.dir);
    await writeRandomFile(join(catalog, 'tools.iso'), 2 * 1024 * 1024, 'demo-iso');
    const mirror = await rest.createLibrary(
      { name: `clo-demo-mirror-${run}`, datastore_id: target.datastore },
      randomUUID(),
    );
    const syncInput = {
      vcenter: 'default',
      library: { id: mirror },
      source: { kind: 'catalog' as const, path: catalog },
    };
    const synced = await (await startSync(client, syncInput, { taskQueue, config })).result();
    console.log(
      `      added ${synced.added.join(', ') || 'nothing'}; ${formatBytes(synced.bytesTransferred)} sent`,
    );
    const again = await (await startSync(client, syncInput, { taskQueue, config })).result();
    console.log(
      `      again, nothing changed: ${again.counts.unchanged} unchanged, ${formatBytes(again.bytesTransferred)} sent`,
    );

    step(5, 'a Temporal Schedule that runs that sync every hour');
    const scheduleName = `clo-demo-sync-${run}`;
    await createSyncSchedule(client, {
      name: scheduleName,
      timing: { every: '1h' },
      input: syncInput,
      taskQueue,
      config,
    });
    console.log(`      schedule ${scheduleName} created (overlap policy: skip)`);
    return {
      uploadWorkflowId: upload.workflowId,
      downloadWorkflowId: download.workflowId,
      itemId: uploaded.itemId,
      scheduleName,
    };
  } finally {
    await rest.close();
  }
}
