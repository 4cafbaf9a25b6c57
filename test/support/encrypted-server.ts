/**
 * For tests of payload encryption on a dev server of their own, with a database file (the shared
 * one is in memory): workers and clients with or without keys, and what the server stores as a
 * reader without the codec sees it (the `temporal` CLI, and the SQLite file's bytes).
 */
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type RunningTemporal } from '../../client/dev-stack';
import { dataConverterOptions } from '../../codec/data-converter';
import { TemporalConfig, type CloConfig } from '../../temporal.config';
import { createWorker, type CloWorker } from '../../worker/create-worker';
import { quietRuntime, testConfig } from '../stack/harness';
import { stackInfo, workflowBundleFor } from '../stack/stack-info';

const run = promisify(execFile);

/** A dev server of the test's own, keeping its history in `dir`/temporal.db for the byte search. */
export async function startRecordingServer(dir: string): Promise<RunningTemporal> {
  quietRuntime();
  const stack = stackInfo();
  if (!stack.temporalBin)
    throw new Error('the stack does not name its temporal binary (test/stack/global-setup.ts)');
  return await startTemporalDevServer({
    bin: stack.temporalBin,
    uiPort: false,
    dbFile: join(dir, 'temporal.db'),
  });
}

/** A running worker and a client on one server, with the same config (and so the same keys). */
export interface Side {
  config: CloConfig;
  client: Client;
  worker: CloWorker;
  /** Shuts the worker down and closes the client's connection. */
  stop: () => Promise<void>;
}

/**
 * A worker and client on `temporal`, with these keys (`CLO_ENCRYPTION_KEYS` syntax) or none, and
 * the test roots or these `readRoots`.
 */
export async function startSide(
  temporal: RunningTemporal,
  keys?: string,
  readRoots?: string[],
): Promise<Side> {
  const base = testConfig();
  const config: CloConfig = {
    ...base,
    ...(readRoots ? { worker: { ...base.worker, readRoots } } : {}),
    temporal: TemporalConfig.parse({
      address: temporal.address,
      namespace: temporal.namespace,
      taskQueue: base.temporal.taskQueue,
      ...(keys ? { encryption: { keys } } : {}),
    }),
  };
  const worker = await createWorker({ config, workflowBundle: workflowBundleFor(config) });
  const running = worker.worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace, ...dataConverterOptions(config) });
  const stop = async (): Promise<void> => {
    if (worker.worker.getState() === 'RUNNING') worker.worker.shutdown();
    await running;
    await worker.close();
    await connection.close();
  };
  return { config, client, worker, stop };
}

/** Runs the `temporal` CLI against `temporal`, without any codec; its stdout. */
async function temporalCli(temporal: RunningTemporal, args: string[]): Promise<string> {
  const { stdout } = await run(
    stackInfo().temporalBin!,
    [...args, '--address', temporal.address, '--namespace', temporal.namespace, '--output', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** The history as the CLI prints it (JSON), without any codec. */
export async function cliHistory(temporal: RunningTemporal, workflowId: string): Promise<string> {
  return await temporalCli(temporal, ['workflow', 'show', '-w', workflowId]);
}

/** Every workflow execution as `temporal workflow list` prints it (JSON), without any codec. */
export async function cliWorkflowList(temporal: RunningTemporal): Promise<string> {
  return await temporalCli(temporal, ['workflow', 'list']);
}

/** A schedule as `temporal schedule describe` prints it (JSON), without any codec. */
export async function cliSchedule(temporal: RunningTemporal, scheduleId: string): Promise<string> {
  return await temporalCli(temporal, ['schedule', 'describe', '-s', scheduleId]);
}

/**
 * What a reader of the CLI's JSON sees without a codec: the JSON, plus every payload's
 * metadata and data decoded from base64 (the CLI prints them base64-encoded).
 */
export function readable(cliJson: string): string {
  const parts = [cliJson];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const { data, metadata } = node as { data?: unknown; metadata?: unknown };
    if (typeof data === 'string' && typeof metadata === 'object' && metadata !== null) {
      parts.push(Buffer.from(data, 'base64').toString('latin1'));
      for (const v of Object.values(metadata))
        if (typeof v === 'string') parts.push(Buffer.from(v, 'base64').toString());
    }
    Object.values(node).forEach(visit);
  };
  visit(JSON.parse(cliJson));
  return parts.join('\n');
}

/** Every byte of the dev server's SQLite database in `dir` (with its WAL, where recent writes sit). */
export async function databaseBytes(dir: string): Promise<Buffer> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('temporal.db'));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}
