/**
 * The hostile-input catalogue's machinery (issue #11): one world (a simulator with a library
 * and a seeded item, a worker with allowed roots, scratch directories inside and outside those
 * roots) and one runner that sends a case through the client API, a raw `client.workflow.start`
 * or the `temporal` CLI, and again through `clo`, then checks the one error, that the server
 * holds nothing new and that nothing was written on disk. The cases live in
 * test/workflows/hostile-*.test.ts.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { ContentLibraryClient } from '../../activities/content-library';
import { ensureTools } from '../../client/dev-stack';
import { downloadWorkflowId, startDownload } from '../../client/download';
import { startSync, syncWorkflowId } from '../../client/sync';
import { startUpload, uploadWorkflowId } from '../../client/upload';
import type { CloConfig } from '../../temporal.config';
import type { DownloadInput } from '../../workflows/definitions/download';
import type { SyncInput } from '../../workflows/definitions/sync';
import type { UploadInput } from '../../workflows/definitions/upload';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';
import { stackInfo } from '../stack/stack-info';
import { cloEnv, cloInProcess, type CloRun } from './clo';
import { createTestLibrary, restClient, seedItem } from './library';
import { startTarget, type Target } from './targets';

/** What every case sees: the server, the worker, and where it may and may not touch. */
export interface HostileWorld {
  target: Target;
  rest: ContentLibraryClient;
  worker: TestWorker;
  library: { id: string; name: string };
  /** An item with one file (`data.bin`) that download cases ask for. */
  seeded: { id: string; name: string };
  /** Inside worker.readRoots and worker.writeRoots. */
  root: string;
  /** Outside every root: what the worker must not read or write. */
  outside: string;
  /** The environment that points clo at the worker's queue and vCenters. */
  env: NodeJS.ProcessEnv;
  temporalBin: string;
}

/** Where one case may put its files: its own directories, so concurrent cases never share one. */
export interface CaseDirs {
  /** `<root>/<case>`: inside the roots. */
  inside: string;
  /** `<outside>/<case>`: outside them. */
  outside: string;
  /** A unique item name for this case. */
  item: string;
  /** The library the case names: the world's, or its own with `ownLibrary`. */
  library: { id: string; name: string };
}

/** How the non-CLI run starts the workflow. */
export type StartPath =
  /** startUpload / startDownload / startSync (their own checks first). */
  | 'client'
  /** client.workflow.start with the raw input: the workflow's own checks only. */
  | 'raw'
  /** `temporal workflow start` with the raw input as JSON. */
  | 'temporal';

export type Kind = 'upload' | 'download' | 'sync';

/** One hostile input and the one error it must get. */
export interface HostileCase {
  name: string;
  kind: Kind;
  via: StartPath;
  /** Makes the files the case needs (inside its own dirs). */
  setup?: (w: HostileWorld, d: CaseDirs) => Promise<void>;
  /** The workflow input (with vcenter and library filled in when absent). */
  input: (w: HostileWorld, d: CaseDirs) => Record<string, unknown>;
  /** The `clo` arguments of the same request; the runner adds the config through the environment. */
  cli: (w: HostileWorld, d: CaseDirs) => string[];
  /** Failure type on the API path: a client error's name, or the workflow's ApplicationFailure type. */
  type: string;
  /** Must match the API error and the CLI's stderr: names the field and the fix. */
  message: RegExp;
  /**
   * clo's exit code, by the class of the failure clo reports (client/exit-codes.ts): 2 invalid
   * input or configuration (refused by clo before starting, or by the saga), 5 a path outside the
   * allowed roots, 6 a vCenter certificate refused, ...
   */
  exit: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /**
   * What clo says when it refuses earlier than the workflow would (its own check of the source,
   * before it starts anything), if that differs from `message`. @default message
   */
  cliMessage?: RegExp;
  /** Give the case a library of its own (a sync's workflow id is per library, so concurrent syncs need one each). */
  ownLibrary?: boolean;
  /** The server may create sessions for this case if it deletes them (DIRECT: the endpoint comes from a session). */
  sessionsAllowed?: boolean;
}

const WORKFLOW_TYPE: Record<Kind, string> = {
  upload: 'uploadLibraryItem',
  download: 'downloadLibraryItem',
  sync: 'syncLibrary',
};

/** Extra vCenters for transport cases, and a hook to set the worker's roots. */
export interface HostileWorldOptions {
  vcenters?: (root: string) => Promise<Record<string, unknown>>;
}

/**
 * Sets up the world in beforeAll (and tears it down in afterAll). The worker reads and writes
 * only under `root`; clo gets the same configuration.
 */
export function useHostileWorld(opts: HostileWorldOptions = {}): HostileWorld {
  const w = {} as HostileWorld;
  let scratch: string | undefined;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'clo-hostile-'));
    w.root = join(scratch, 'root');
    w.outside = join(scratch, 'outside');
    await Promise.all([mkdir(w.root), mkdir(w.outside)]);
    const [target, tools] = await Promise.all([startTarget('simulator'), ensureTools()]);
    w.target = target;
    w.temporalBin = tools.temporal;
    const extra = (await opts.vcenters?.(scratch)) ?? {};
    const config = testConfig({ sim: { url: target.url, username: 'user', password: 'pass' }, ...extra });
    setRoots(config, [w.root]);
    w.worker = await startTestWorker(config);
    w.env = { ...(await cloEnvWithWorker(config, scratch)) };
    w.rest = restClient(target.url);
    w.library = await createTestLibrary(w.rest, target.datastore, 'hostile');
    const seededName = `seeded-${randomUUID().slice(0, 6)}`;
    const { itemId } = await seedItem(w.rest, w.library.id, seededName, [
      { name: 'data.bin', size: 4096, seed: 'hostile' },
    ]);
    w.seeded = { id: itemId, name: seededName };
  });
  afterAll(async () => {
    await w.worker?.stop();
    await w.rest?.close();
    await w.target?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  return w;
}

/**
 * The allowed roots, as engineer A's configuration spells them (`worker.readRoots`,
 * `worker.writeRoots`); set on the parsed config so the worker and clo's config file agree.
 */
function setRoots(config: CloConfig, roots: string[]): void {
  Object.assign(config.worker, { readRoots: roots, writeRoots: roots });
}

/** clo's config file: the worker's Temporal, vCenters and worker sections. */
async function cloEnvWithWorker(config: CloConfig, dir: string): Promise<NodeJS.ProcessEnv> {
  const env = await cloEnv(config, dir);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    env.CLO_CONFIG_FILE!,
    JSON.stringify({ temporal: config.temporal, vcenters: config.vcenters, worker: config.worker }),
    { mode: 0o600 },
  );
  return env;
}

/** What came back from one path: the error's type and message, or that it succeeded. */
export interface Outcome {
  type: string;
  message: string;
}

/** The innermost typed failure of a failed workflow (the ApplicationFailure under an ActivityFailure). */
function outcomeOf(err: unknown): Outcome {
  if (err instanceof WorkflowFailedError) {
    let e: unknown = err.cause;
    while (e && (e as { type?: string }).type === undefined && (e as { cause?: unknown }).cause)
      e = (e as { cause: unknown }).cause;
    const f = e as { type?: string; name?: string; message?: string } | undefined;
    return { type: f?.type ?? f?.name ?? 'unknown', message: f?.message ?? '' };
  }
  const e = err as { name?: string; type?: string; message?: string };
  return { type: e.type ?? e.name ?? 'unknown', message: e.message ?? String(err) };
}

/** Fills vcenter and library when the case leaves them out. */
function fullInput(w: HostileWorld, c: HostileCase, d: CaseDirs): Record<string, unknown> {
  return { vcenter: 'sim', library: { name: d.library.name }, ...c.input(w, d) };
}

/** How long a hostile case may take to fail: a saga still running then is retrying what it should refuse. */
export const CASE_DEADLINE_MS = 30_000;

/** The workflow ids a case's starts can have: the deterministic one of its request, and the raw one. */
function workflowIds(w: HostileWorld, c: HostileCase, d: CaseDirs): string[] {
  const input = fullInput(w, c, d) as never;
  const ids = [`hostile/${d.item}`];
  // Hashed and plain: the test client may seal payloads (then ids carry no names), clo does not.
  for (const hashNames of [false, true]) {
    try {
      ids.push(
        c.kind === 'upload'
          ? uploadWorkflowId(input, hashNames)
          : c.kind === 'download'
            ? downloadWorkflowId(input, hashNames)
            : syncWorkflowId(input),
      );
    } catch {
      // An input too broken to name its workflow never started one under that name.
    }
  }
  return ids;
}

/**
 * Waits for `run`; past the deadline, terminates the case's workflows (so neither path hangs
 * the catalogue) and reports that the saga did not fail in time.
 */
async function withDeadline<T>(w: HostileWorld, c: HostileCase, d: CaseDirs, run: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), CASE_DEADLINE_MS)),
  );
  try {
    const first = await Promise.race([run, late]);
    if (first !== 'late') return first;
    await Promise.all(
      workflowIds(w, c, d).map(async (id) =>
        w.worker.client.workflow
          .getHandle(id)
          .terminate(`hostile case still running after ${CASE_DEADLINE_MS} ms`)
          .catch(() => undefined),
      ),
    );
    return await run;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the case through its start path and waits for the workflow's end; the error it got. */
export async function runThroughApi(w: HostileWorld, c: HostileCase, d: CaseDirs): Promise<Outcome> {
  const input = fullInput(w, c, d);
  const client: Client = w.worker.client;
  const opts = { taskQueue: w.worker.taskQueue, config: w.worker.config };
  const run = async (): Promise<Outcome> => {
    if (c.via === 'client') {
      const handle =
        c.kind === 'upload'
          ? await startUpload(client, input as unknown as UploadInput, opts)
          : c.kind === 'download'
            ? await startDownload(client, input as unknown as DownloadInput, opts)
            : await startSync(client, input as unknown as SyncInput, opts);
      await handle.result();
    } else {
      const workflowId = `hostile/${d.item}`;
      if (c.via === 'raw') {
        await client.workflow.start(WORKFLOW_TYPE[c.kind], {
          taskQueue: w.worker.taskQueue,
          workflowId,
          args: [input],
        });
      } else {
        const stack = stackInfo();
        await promisify(execFile)(w.temporalBin, [
          'workflow',
          'start',
          '--address',
          stack.temporalAddress,
          '--namespace',
          stack.namespace,
          '--task-queue',
          w.worker.taskQueue,
          '--type',
          WORKFLOW_TYPE[c.kind],
          '--workflow-id',
          workflowId,
          '--input',
          JSON.stringify(input),
        ]);
      }
      await client.workflow.getHandle(workflowId).result();
    }
    return { type: 'completed', message: 'the workflow completed' };
  };
  return await withDeadline(w, c, d, run().catch(outcomeOf));
}

// cloInProcess swaps process-wide console and environment: one call at a time.
let cliQueue: Promise<unknown> = Promise.resolve();

/** Runs the case's clo command (in this process, one at a time) and waits for it to end. */
export async function runThroughCli(w: HostileWorld, c: HostileCase, d: CaseDirs): Promise<CloRun> {
  const args = c.cli(w, d);
  const run = cliQueue.then(async () => withDeadline(w, c, d, cloInProcess(args, w.env)));
  cliQueue = run.catch(() => undefined);
  return await run;
}

/** Every path under `dir` (recursively, symlinks not followed), sorted; [] when it does not exist. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      out.push(p);
      if ((await lstat(p)).isDirectory()) await walk(p);
    }
  }
  await walk(dir);
  return out.sort();
}

/** Per-case directories and a unique item name; created empty. */
export async function caseDirs(w: HostileWorld, name: string, ownLibrary = false): Promise<CaseDirs> {
  const slug = `${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)}-${randomUUID().slice(0, 6)}`;
  const library = ownLibrary ? await createTestLibrary(w.rest, w.target.datastore, 'hostile-own') : w.library;
  const d = { inside: join(w.root, slug), outside: join(w.outside, slug), item: `hostile-${slug}`, library };
  await Promise.all([mkdir(d.inside), mkdir(d.outside)]);
  return d;
}

/** Library items named `name` in the world's library. */
export async function itemsNamed(w: HostileWorld, d: CaseDirs): Promise<string[]> {
  return await w.rest.findLibraryItems({ library_id: d.library.id, name: d.item });
}

/**
 * Registers one test per case: set-up, then the API path and the CLI path, each checked for the
 * one error (type, field and fix), the CLI's exit code, no item of the case's name on the
 * server, and no change under the case's directories. The cases run concurrently.
 */
export function catalogue(w: HostileWorld, cases: HostileCase[]): void {
  for (const c of cases) {
    it.concurrent(`${c.name}: ${c.type} via ${c.via} and clo (exit ${c.exit})`, async () => {
      const d = await caseDirs(w, c.name, c.ownLibrary);
      await c.setup?.(w, d);
      const before = [...(await tree(d.inside)), ...(await tree(d.outside))];
      const api = await runThroughApi(w, c, d);
      const cli = await runThroughCli(w, c, d);
      expect({ via: c.via, type: api.type, message: api.message }).toEqual({
        via: c.via,
        type: c.type,
        message: expect.stringMatching(c.message),
      });
      const stderr = cli.stderr.trim();
      expect({ code: cli.code, stderr }).toEqual({
        code: c.exit,
        stderr: expect.stringMatching(c.cliMessage ?? c.message),
      });
      // One error: one line from clo (the message may wrap a zod listing over a few lines).
      expect(stderr.split('\n').filter((l) => l.startsWith('clo: '))).toHaveLength(1);
      expect(await itemsNamed(w, d)).toEqual([]);
      // A sync creates items named after catalog files: its own library must stay empty.
      if (c.ownLibrary) expect(await w.rest.listLibraryItems(d.library.id)).toEqual([]);
      expect([...(await tree(d.inside)), ...(await tree(d.outside))]).toEqual(before);
    });
  }
}

/** A zod refusal: prettifyError puts the field (`→ at source.path`) after the message. */
export function zodRefusal(field: string, text: string): RegExp {
  return new RegExp(`^(?=[\\s\\S]*${field.replace(/\./g, '\\.')})[\\s\\S]*${text}`);
}
