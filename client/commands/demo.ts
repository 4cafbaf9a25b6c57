import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatBytes } from '../../workflows/lib/format';
import { addStackOptions, bringUp, startWorkerOn, untilSignal, type DevOptions } from './dev';

/**
 * `clo demo`: the README's main job, on the embedded default stack. Brings up Temporal
 * (with its Web UI) and vcsim and a worker, makes a small but real multi-file OVA,
 * uploads it through the upload saga, downloads it back through the download saga and
 * verifies every byte, syncs a catalog directory into a second library, creates an
 * hourly sync schedule, and says what to look at in the Web UI. Then it stops
 * everything, or keeps it running with --keep.
 */
export function registerDemo(program: Command): void {
  addStackOptions(program.command('demo'))
    .description(
      'run the end-to-end demo on the embedded stack: upload an OVA, download and verify it, sync a catalog, schedule it',
    )
    .option('--keep', 'keep the stack and worker running afterwards (Ctrl-C stops)')
    .action(async (opts: DevOptions & { keep?: boolean }) => {
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { ContentLibraryClient } = await import('../../activities/content-library');
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { makeOva, makeOvfPackage, writeRandomFile } = await import('../demo/sample-content');
      const { startDownload } = await import('../download');
      const { createSyncSchedule } = await import('../schedules');
      const { startSync } = await import('../sync');
      const { startUpload } = await import('../upload');
      const stack = await bringUp(opts);
      const stopWorker = await startWorkerOn(stack);
      const ui = `${stack.temporal.uiUrl}/namespaces/${stack.temporal.namespace}`;
      try {
        const config = loadConfig({ ...process.env, CLO_CONFIG_FILE: stack.configFile });
        const taskQueue = config.temporal.taskQueue;
        const { client, close } = await connectClient(config);
        // vcsim keeps everything in memory: the demo makes its libraries afresh each run.
        const rest = new ContentLibraryClient({ url: stack.vcsim.url, username: 'user', password: 'pass' });
        try {
          const run = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
          const work = join(stack.dataDir, `demo-${run}`);
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
            { name: `clo-demo-templates-${run}`, datastore_id: stack.vcsim.datastore },
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
            { name: `clo-demo-mirror-${run}`, datastore_id: stack.vcsim.datastore },
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

          console.log(
            [
              '',
              'Look at it in the Temporal Web UI:',
              `  the upload:     ${ui}/workflows/${encodeURIComponent(upload.workflowId)}`,
              `                  (summary, search attributes, Queries → progress; the event history shows each step)`,
              `  by item:        ${ui}/workflows?query=${encodeURIComponent(`CloItemId="${uploaded.itemId}"`)}`,
              `  the download:   ${ui}/workflows/${encodeURIComponent(download.workflowId)}`,
              `  the schedule:   ${ui}/schedules/${encodeURIComponent(scheduleName)}`,
            ].join('\n'),
          );
        } finally {
          await rest.close();
          await close();
        }
        if (opts.keep) {
          console.log('\nStack and worker keep running; press Ctrl-C to stop.');
          await untilSignal();
        }
      } finally {
        await stopWorker();
        await stack.stop();
        console.log('\ndemo finished; stack stopped.');
      }
    });
}
