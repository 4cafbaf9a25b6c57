import { resolve } from 'node:path';
import type { Command } from 'commander';
import { withWorkflowContext } from '../failure-report';
import type { DownloadInput } from '../../workflows/definitions/download';
import { ref } from './upload';

interface DownloadOptions {
  library: string;
  item: string;
  dest: string;
  vcenter: string;
  files?: string;
  overwrite?: boolean;
  direct?: boolean;
  concurrency?: string;
  checksum?: boolean;
  wait?: boolean;
  queue?: boolean;
  json?: boolean;
}

/** `clo download --library L --item I --dest DIR`: starts the download saga (and with --wait, follows it). */
export function registerDownload(program: Command): void {
  program
    .command('download')
    .description(
      'download the files of a library item into a directory on the worker host (as the downloadLibraryItem saga)',
    )
    .requiredOption('--library <name|id:ID>', 'source library, by name or id:<id>')
    .requiredOption('--item <name|id:ID>', 'source item, by name or id:<id>')
    .requiredOption(
      '--dest <dir>',
      'directory on the worker host (relative paths resolve against this shell, for a worker on this machine)',
    )
    .option('--vcenter <name>', 'configured vCenter connection', 'default')
    .option('--files <names>', 'only these files: comma-separated names or patterns with * and ?')
    .option('--overwrite', 'replace files that already exist in the destination')
    .option(
      '--direct',
      'ask for DIRECT (storage) endpoints instead of HTTPS; the worker must see the storage as file://',
    )
    .option('--concurrency <n>', 'files downloaded at once', '2')
    .option(
      '--checksum',
      "hash each file with SHA-1 while receiving it and report it (files[].sha1); without it a file is hashed only to check the server's checksum",
    )
    .option('--wait', 'follow progress and print the result')
    .option(
      '--queue',
      'when a download of another request into the same destination is running, start after it ends instead of refusing (exit code 4)',
    )
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: DownloadOptions) => {
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { startDownload } = await import('../download');
      const { followProgress } = await import('../progress');
      const config = loadConfig();
      const files = opts.files
        ?.split(',')
        .map((f) => f.trim())
        .filter((f) => f !== '');
      const input: DownloadInput = {
        vcenter: opts.vcenter,
        library: ref(opts.library),
        item: ref(opts.item),
        destination: resolve(opts.dest),
        ...(files && files.length > 0 ? { files } : {}),
        overwrite: Boolean(opts.overwrite),
        endpointType: opts.direct ? 'DIRECT' : 'HTTPS',
        options: {
          fileConcurrency: Number(opts.concurrency ?? 2),
          ...(opts.checksum ? { checksum: true } : {}),
        },
      };
      const { client, close } = await connectClient(config);
      try {
        const handle = await startDownload(client, input, {
          taskQueue: config.temporal.taskQueue,
          config,
          queue: Boolean(opts.queue),
          onQueued: (running) =>
            console.error(
              `clo: waiting for ${running.workflowId} (run ${running.runId}, ${running.description}) to end`,
            ),
        });
        if (!opts.wait) {
          console.log(
            opts.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
          );
          return;
        }
        const result = await withWorkflowContext(
          client,
          handle.workflowId,
          followProgress(client, handle, { quiet: Boolean(opts.json), vcenters: config.vcenters }),
        );
        console.log(JSON.stringify(result, null, opts.json ? undefined : 2));
      } finally {
        await close();
      }
    });
}
