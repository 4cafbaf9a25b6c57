/**
 * `clo sync --source <dir|vcenter:NAME/library:LIB|library:LIB|https://…/index.json> --library L`:
 * starts the syncLibrary workflow (and with --wait, follows it to the end).
 *
 * The options are defined once ({@link defineSyncOptions}) and turned into the workflow
 * input once ({@link syncInputFromArgs}), so a schedule (`clo schedule create NAME --every 1h
 * -- <sync arguments>`) builds exactly the input `clo sync` would.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { withWorkflowContext } from '../failure-report';
import type { SyncInput, SyncResult, SyncSource } from '../../workflows/definitions/sync';
import { InvalidInputError, ItemsFailedError } from '../errors';
import { urlScheme } from './upload';
import type * as SyncClient from '../sync';

// ../sync (zod, the workflow definitions), the config and the Temporal client are loaded when
// they are used, not at the top, so `clo --help` loads none of them (bench/startup.ts).
// syncInputFromArgs is synchronous (schedules and tests call it so), hence a require there.
function syncClient(): typeof SyncClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../sync') as typeof SyncClient;
}

/** What commander hands the action: the raw option values. */
export interface SyncCommandOptions {
  source: string;
  library: string;
  vcenter: string;
  prune?: boolean;
  concurrency: string;
  batchSize: string;
  checksum?: boolean;
  verify: boolean;
  allowPlainHttp?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** `--library lib-1` or `--library id:...`: ids are recognisable by their prefix; anything else is a name. */
function ref(value: string): { id: string } | { name: string } {
  return value.startsWith('id:') ? { id: value.slice(3) } : { name: value };
}

/**
 * Turns `--source` into a sync source: an http(s) URL is an index, `vcenter:NAME/library:LIB`
 * a library on vCenter NAME, `library:LIB` a library on the target vCenter, anything else a
 * catalog directory (made absolute here; it is read on the worker host).
 */
export function syncSourceFromArgument(
  arg: string,
  targetVCenter: string,
  opts: { verify?: boolean; allowPlainHttp?: boolean } = {},
): SyncSource {
  if (/^https?:\/\//i.test(arg))
    return {
      kind: 'index',
      url: arg,
      verify: opts.verify ?? true,
      ...(opts.allowPlainHttp ? { allowPlainHttp: true } : {}),
    };
  // Else it would become a catalog directory under the working directory ("./ftp:/host/x").
  const scheme = urlScheme(arg);
  if (scheme)
    throw new InvalidInputError(
      `--source ${arg}: ${scheme}:// is not supported; give an https:// (or, with --allow-plain-http, http://) index URL, library:<name>, vcenter:<name>/library:<name> or a catalog directory`,
    );
  const lib = /^(?:vcenter:([^/]+)\/)?library:(.+)$/.exec(arg);
  if (lib) return { kind: 'library', vcenter: lib[1] ?? targetVCenter, library: ref(lib[2]!) };
  return { kind: 'catalog', path: resolve(arg) };
}

/** Adds the sync options to `command`; shared by `clo sync` and {@link syncInputFromArgs}. */
export function defineSyncOptions(command: Command): Command {
  return command
    .requiredOption(
      '--source <dir|vcenter:NAME/library:LIB|library:LIB|url>',
      'catalog directory (on the worker host), library, or http(s) index URL',
    )
    .requiredOption('--library <name|id:ID>', 'target library, by name or id:<id>')
    .option('--vcenter <name>', 'configured vCenter connection of the target', 'default')
    .option('--prune', 'delete items this sync manages that the source no longer has')
    .option('--concurrency <n>', 'items transferred at once', '2')
    .option('--batch-size <n>', 'items per workflow run before it continues as new', '100')
    .option(
      '--checksum',
      'hash catalog files on every run instead of trusting unchanged size, times and inode',
    )
    .option(
      '--no-verify',
      'index sources: skip the worker-side SHA-256 check before the vCenter pulls a file',
    )
    .option(
      '--allow-plain-http',
      'index sources: accept an http:// index and http:// files in it, fetched unencrypted (refused otherwise)',
    );
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidInputError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** The workflow input for parsed options. */
export function syncInputFromOptions(opts: SyncCommandOptions): SyncInput {
  return {
    vcenter: opts.vcenter,
    library: ref(opts.library),
    source: syncSourceFromArgument(opts.source, opts.vcenter, {
      verify: opts.verify,
      allowPlainHttp: Boolean(opts.allowPlainHttp),
    }),
    prune: Boolean(opts.prune),
    options: {
      itemConcurrency: positiveInt(opts.concurrency, '--concurrency'),
      batchSize: positiveInt(opts.batchSize, '--batch-size'),
      checksum: Boolean(opts.checksum),
    },
  };
}

/**
 * The validated workflow input for `clo sync` arguments (without `clo sync` itself), e.g.
 * `['--source', '/srv/catalog', '--library', 'images', '--prune']`. For schedules: the same
 * input `clo sync` would start. Throws InvalidInputError naming the problem.
 */
export function syncInputFromArgs(argv: string[]): SyncInput {
  const command = defineSyncOptions(new Command('sync'))
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .allowExcessArguments(false);
  try {
    command.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError)
      throw new InvalidInputError(`sync arguments: ${err.message.replace(/^error: /, '')}`);
    throw err;
  }
  return syncClient().prepareSyncInput(syncInputFromOptions(command.opts<SyncCommandOptions>()));
}

/** Polls the sync's progress and prints a line whenever the counts change (terminal only). */
async function follow(
  handle: Awaited<ReturnType<typeof SyncClient.startSync>>,
  quiet: boolean,
): Promise<SyncResult> {
  const result = handle.result();
  if (quiet || !process.stderr.isTTY) return await result;
  const { syncProgressQuery } = await import('../../workflows/definitions/sync');
  let done = false;
  result.then(
    () => (done = true),
    () => (done = true),
  );
  let last = '';
  while (!done) {
    try {
      const p = await handle.query(syncProgressQuery);
      const c = p.counts;
      const line = `${p.phase} (run ${p.runs}): ${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged, ${c.removed} removed, ${c.failed} failed`;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    } catch {
      // Between runs (continue-as-new) or tasks; the next tick asks again.
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  return await result;
}

/** The first failed item's cause, and how many more; typed when every listed failure has the same type. */
function itemsFailed(result: SyncResult): ItemsFailedError {
  const [first] = result.failed;
  const types = new Set(result.failed.map((f) => f.type));
  const more = result.counts.failed - 1;
  return new ItemsFailedError(
    `${result.counts.failed} item(s) failed to sync` +
      (first ? `: ${first.name}: ${first.type ? `${first.type}: ` : ''}${first.reason}` : '') +
      (more > 0 ? ` (and ${more} more; see "failed" in the result)` : ''),
    types.size === 1 ? first?.type : undefined,
  );
}

/** `clo sync`: starts the sync (and with --wait, prints its result; exit 1 when any item failed). */
export function registerSync(program: Command): void {
  defineSyncOptions(program.command('sync'))
    .description(
      'mirror a catalog directory, another library or an HTTP index into a library (as the syncLibrary workflow)',
    )
    .option('--wait', 'follow the sync and print its result')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: SyncCommandOptions) => {
      const { loadConfig } = await import('../../temporal.config');
      const { connectClient } = await import('../connection');
      const { prepareSyncInput, startSync } = await import('../sync');
      const config = loadConfig();
      const input = syncInputFromOptions(opts);
      // Checked before connecting (startSync checks again): a URL with credentials or plain http
      // is refused in a second, with or without a reachable server.
      prepareSyncInput(input, config);
      // The worker reads the catalog; checking here too catches a typo in a second, when both run on one host.
      if (input.source.kind === 'catalog') {
        const st = await stat(input.source.path).catch(() => undefined);
        if (!st?.isDirectory())
          throw new InvalidInputError(
            `${input.source.path} ${st ? 'is not a directory' : 'does not exist'}; --source names the catalog directory, a library or an index URL`,
          );
      }
      const { client, close } = await connectClient(config);
      try {
        const handle = await startSync(client, input, { taskQueue: config.temporal.taskQueue, config });
        if (!opts.wait) {
          console.log(
            opts.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
          );
          return;
        }
        const result = await withWorkflowContext(
          client,
          handle.workflowId,
          follow(handle, Boolean(opts.json)),
        );
        console.log(JSON.stringify(result, null, opts.json ? undefined : 2));
        if (result.counts.failed > 0) throw itemsFailed(result);
      } finally {
        await close();
      }
    });
}
