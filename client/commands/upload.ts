import { resolve } from 'node:path';
import type { Command } from 'commander';
import { withWorkflowContext } from '../failure-report';
import type { UploadInput, UploadSource } from '../../workflows/definitions/upload';
import { formatBytes } from '../../workflows/lib/format';
import { InvalidInputError } from '../errors';
import { approvalOptions } from './approve';

interface UploadOptions {
  library: string;
  item: string;
  vcenter: string;
  type?: string;
  description?: string;
  create: boolean;
  replace?: boolean;
  takeOver?: boolean;
  concurrency?: string;
  wait?: boolean;
  queue?: boolean;
  json?: boolean;
  allowPlainHttp?: boolean;
  checksum?: boolean;
  warnings?: string;
  approvalTimeout?: string;
}

/** The scheme of an argument written as a URL (`ftp` of `ftp://host/x`), or undefined for a path. */
export function urlScheme(arg: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(arg)?.[1];
}

/** Turns what the user typed into a source: a URL, an .ova, an .ovf, or any other file. */
export function sourceFromArgument(arg: string, opts: { allowPlainHttp?: boolean } = {}): UploadSource {
  if (/^https?:\/\//i.test(arg))
    return { kind: 'url', url: arg, ...(opts.allowPlainHttp ? { allowPlainHttp: true } : {}) };
  // Else it would become a path under the working directory ("./ftp:/host/x.iso") that does not exist.
  const scheme = urlScheme(arg);
  if (scheme)
    throw new InvalidInputError(
      `source ${arg}: ${scheme}:// is not supported; give an https:// (or, with --allow-plain-http, http://) URL the vCenter can pull, or a file on the worker host`,
    );
  const path = resolve(arg);
  if (/\.ova$/i.test(path)) return { kind: 'ova', path };
  if (/\.ovf$/i.test(path)) return { kind: 'ovf', path };
  return { kind: 'file', path };
}

/** `--library lib-1` or `--library id:...`: ids are recognisable by their prefix; anything else is a name. */
export function ref(value: string): { id: string } | { name: string } {
  return value.startsWith('id:') ? { id: value.slice(3) } : { name: value };
}

/**
 * The source's plan, as the saga will make it: a single file loads only its own planner, not
 * the OVF, OVA and URL ones with their XML and tar parsers (bench/startup.ts).
 */
async function planLocally(source: UploadSource) {
  if (source.kind === 'file') {
    const { planSingleFile } = await import('../../activities/sources/single-file');
    return await planSingleFile(source);
  }
  const { planSource } = await import('../../activities/sources');
  return await planSource(source);
}

/** `clo upload <path|url> --library L --item I`: starts the upload saga (and with --wait, follows it). */
export function registerUpload(program: Command): void {
  program
    .command('upload <source>')
    .description(
      'upload a file, an OVF package, an OVA or a URL into a library item (as the uploadLibraryItem saga)',
    )
    .requiredOption('--library <name|id:ID>', 'target library, by name or id:<id>')
    .requiredOption('--item <name|id:ID>', 'target item, by name (created if missing) or id:<id>')
    .option('--vcenter <name>', 'configured vCenter connection', 'default')
    .option('--type <type>', 'item type when the item is created (default: ovf for OVF/OVA, iso for .iso)')
    .option('--description <text>', 'item description when the item is created')
    .option('--no-create', 'fail instead of creating a missing item')
    .option('--replace', 'remove item files that the source does not have')
    .option('--take-over', 'cancel update sessions on the item that no running workflow owns')
    .option('--concurrency <n>', 'files transferred at once', '2')
    .option('--wait', 'follow progress and print the result')
    .option(
      '--queue',
      'when an upload of another source into the same item is running, start after it ends instead of refusing (exit code 4)',
    )
    .option(
      '--allow-plain-http',
      'accept an http:// source URL, which the vCenter pulls unencrypted (refused otherwise)',
    )
    .option(
      '--checksum',
      "compute each file's SHA-1 while sending it and print it in the result (files[].sha1); costs CPU",
    )
    .option(
      '--warnings <policy>',
      "a signed OVA's certificate warnings: fail (default), await-approval (clo approve/reject), accept:TYPE[,TYPE]",
    )
    .option(
      '--approval-timeout <duration>',
      'with --warnings await-approval: compensate after this long (default 24h)',
    )
    .option('--json', 'print machine-readable JSON')
    .action(async (arg: string, opts: UploadOptions) => {
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { prepareUploadInput, startUpload } = await import('../upload');
      const { followProgress } = await import('../progress');
      const config = loadConfig();
      const source = sourceFromArgument(arg, { allowPlainHttp: Boolean(opts.allowPlainHttp) });
      const itemRef = ref(opts.item);
      const input: UploadInput = {
        vcenter: opts.vcenter,
        library: ref(opts.library),
        item:
          'id' in itemRef
            ? itemRef
            : {
                name: itemRef.name,
                create: opts.create,
                ...(opts.type ? { type: opts.type } : {}),
                ...(opts.description ? { description: opts.description } : {}),
              },
        source,
        options: {
          fileConcurrency: Number(opts.concurrency ?? 2),
          replace: Boolean(opts.replace),
          takeOver: Boolean(opts.takeOver),
          maxSessionRestarts: 2,
          ...(opts.checksum ? { checksum: true } : {}),
          ...(await approvalOptions(opts)),
        },
      };
      // The same checks the workflow makes, here first, so a typo fails in a second with nothing started:
      // the input's schema before the source is touched (a NUL or an overlong path never reaches fs).
      prepareUploadInput(input, config);
      const plan = await planLocally(source).catch((err: Error) => {
        throw new InvalidInputError(err.message);
      });
      const { client, close } = await connectClient(config);
      try {
        const handle = await startUpload(client, input, {
          taskQueue: config.temporal.taskQueue,
          config,
          summary: `upload ${plan.displayName} → ${opts.library}/${opts.item}, ${plan.files.length} file${
            plan.files.length === 1 ? '' : 's'
          }, ${formatBytes(plan.totalBytes)}`,
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
