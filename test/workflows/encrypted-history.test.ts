/**
 * Payload encryption end to end: a worker and client with a key run an upload, and the
 * history the server keeps (read with the `temporal` CLI, which has no codec, and straight
 * from the dev server's SQLite file) holds no item name, path or vCenter URL; the codec
 * decodes it back to the input. An upload without a key on the same server is the control:
 * its names do show, so the searches can find what they look for. Then the keys rotate. A saga
 * that fails keeps its failure messages and stack traces sealed too, and a worker refuses a
 * prebuilt bundle whose failure converter does not match its keys.
 *
 * This test runs its own dev server with a database file (the shared one is in memory).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { RunningTemporal } from '../../client/dev-stack';
import { startUpload, type UploadInput } from '../../client/upload';
import { payloadCodecsFor } from '../../codec/data-converter';
import { TemporalConfig } from '../../temporal.config';
import { progressQuery } from '../../workflows/definitions/transfer';
import { createWorker } from '../../worker/create-worker';
import { writeRandomFile } from '../fixtures/content';
import { createTestLibrary, restClient } from '../support/library';
import { serveFile } from '../support/serve-file';
import { testConfig } from '../stack/harness';
import { EXIT } from '../../client/exit-codes';
import { clo, cloEnv } from '../support/clo';
import {
  cliHistory as cliHistoryOf,
  databaseBytes as databaseBytesIn,
  readable,
  startSide,
  type Side,
  startRecordingServer,
} from '../support/encrypted-server';
import { failureOf } from '../support/failures';
import { stackInfo } from '../stack/stack-info';

/** A Failure as the CLI prints it. */
interface StoredFailure {
  message?: string;
  stackTrace?: string;
  encodedAttributes?: { metadata?: Record<string, string> };
}
const key = (id: string) => `${id}=${randomBytes(32).toString('base64')}`;

describe('payload encryption', () => {
  const tag = randomBytes(4).toString('hex');
  const k1 = key(`k1-${tag}`);
  const k2 = key(`k2-${tag}`);
  let dir: string;
  let temporal: RunningTemporal;
  let libraryId: string;
  /** Serves `dir` over HTTP for the URL (PULL) sources. */
  let http: Server;
  let httpUrl: string;
  const stopAll: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const stack = stackInfo();
    dir = await mkdtemp(join(tmpdir(), 'clo-enc-'));
    const rest = restClient(stack.vcsim.url);
    [temporal, { id: libraryId }] = await Promise.all([
      startRecordingServer(dir),
      createTestLibrary(rest, stack.vcsim.datastore),
    ]);
    await rest.close();
    http = createServer((req, res) =>
      serveFile(res, join(dir, normalize(decodeURIComponent(req.url ?? '/')))),
    );
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const stop of stopAll.reverse()) await stop();
    await temporal?.stop();
    await new Promise((ok) => http?.close(ok));
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A worker and client on the test's server, with these keys (`CLO_ENCRYPTION_KEYS` syntax) or
   * none, and the test roots or these `readRoots`.
   */
  async function side(keys?: string, readRoots?: string[]): Promise<Side> {
    const s = await startSide(temporal, keys, readRoots);
    stopAll.push(s.stop);
    return s;
  }

  /** Starts an upload of a file named after `name` from its own directory, from disk or (`url`) pulled by vcsim over HTTP. */
  async function start(s: Awaited<ReturnType<typeof side>>, name: string, from: 'file' | 'url' = 'file') {
    // Each upload's own directory, so the path searched for is this upload's alone.
    await mkdir(join(dir, `${name}-dir`));
    const file = await writeRandomFile(join(dir, `${name}-dir`, `${name}.iso`), 32 * 1024, name);
    const input: UploadInput = {
      vcenter: 'vcsim',
      library: { id: libraryId },
      item: { name },
      source:
        from === 'file'
          ? { kind: 'file', path: file.path }
          : { kind: 'url', url: `${httpUrl}/${name}-dir/${name}.iso`, allowPlainHttp: true },
    };
    const handle = await startUpload(s.client, input, {
      taskQueue: s.config.temporal.taskQueue,
      config: s.config,
    });
    return { handle, path: file.path, url: `${httpUrl}/${name}-dir/${name}.iso` };
  }

  /** {@link start}, and its result. */
  async function upload(s: Awaited<ReturnType<typeof side>>, name: string, from: 'file' | 'url' = 'file') {
    const started = await start(s, name, from);
    return { ...started, result: await started.handle.result() };
  }

  const cliHistory = (workflowId: string) => cliHistoryOf(temporal, workflowId);
  const databaseBytes = () => databaseBytesIn(dir);

  function startedInput(history: string): Payload {
    const events = (JSON.parse(history) as { events: Array<Record<string, unknown>> }).events;
    const attrs = events[0]!.workflowExecutionStartedEventAttributes as {
      input: { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    };
    const p = attrs.input.payloads[0]!;
    return {
      metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data, 'base64'),
    };
  }

  /** Every failure a CLI history holds (the saga's, its causes, each failed activity's), as stored. */
  function storedFailures(cliJson: string): StoredFailure[] {
    const found: StoredFailure[] = [];
    const visit = (node: unknown, key?: string): void => {
      if (typeof node !== 'object' || node === null) return;
      if (key === 'failure' || key === 'cause' || key === 'lastFailure') found.push(node);
      for (const [k, v] of Object.entries(node)) visit(v, k);
    };
    visit(JSON.parse(cliJson));
    return found;
  }

  let sealed: Awaited<ReturnType<typeof upload>>;

  it('keeps item names, paths and URLs out of the server; the codec reads them back', async () => {
    const encrypted = await side(k1);
    const plain = await side();
    const secretName = `secret-item-${tag}`;
    const controlName = `plain-item-${tag}`;
    sealed = await upload(encrypted, secretName);
    const sealedUrl = await upload(encrypted, `secret-url-${tag}`, 'url');
    const control = await upload(plain, controlName);
    const controlUrl = await upload(plain, `plain-url-${tag}`, 'url');

    const sealedCli = await cliHistory(sealed.handle.workflowId);
    const sealedUrlCli = await cliHistory(sealedUrl.handle.workflowId);
    const controlCli = readable(await cliHistory(control.handle.workflowId));
    const controlUrlCli = readable(await cliHistory(controlUrl.handle.workflowId));
    const db = (await databaseBytes()).toString('latin1');

    // The control shows that each search finds these strings where they are stored in clear.
    for (const text of [controlCli, db]) {
      expect(text).toContain(controlName);
      expect(text).toContain(control.path);
    }
    for (const text of [controlUrlCli, db]) expect(text).toContain(controlUrl.url);
    // The encrypted sagas' histories are there (workflow ids are not encrypted), but none of their
    // item names, paths or URLs (each contains the name): not in the CLI's view, not in the file.
    expect(db).toContain(sealed.handle.workflowId);
    expect(sealedCli).toContain('YmluYXJ5L2VuY3J5cHRlZA=='); // "binary/encrypted"
    for (const text of [readable(sealedCli), readable(sealedUrlCli), db]) {
      expect(text).not.toContain(secretName);
      expect(text).not.toContain(`secret-url-${tag}`);
      expect(text).not.toContain(`${httpUrl}/secret`);
    }

    // With the codec, the same history decodes to the input the client sent.
    const [codec] = payloadCodecsFor(encrypted.config);
    const [decoded] = await codec!.decode([startedInput(sealedCli)]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toMatchObject({
      vcenter: 'vcsim',
      item: { name: secretName },
      source: { kind: 'file', path: sealed.path },
    });
    expect(sealed.result.itemId).toBeTruthy();
  });

  it('reads a history sealed with the old key after rotation, and names the key once it is removed', async () => {
    // k2 is now active; k1 stays configured for the histories sealed with it.
    const rotated = await side(`${k2},${k1}`);
    expect(await rotated.client.workflow.getHandle(sealed.handle.workflowId).result()).toEqual(sealed.result);
    // A query on the closed saga makes the rotated worker replay the whole k1 history.
    const progress = await rotated.client.workflow.getHandle(sealed.handle.workflowId).query(progressQuery);
    expect(progress).toBeTruthy();
    const fresh = await upload(rotated, `rotated-item-${tag}`);
    const freshCli = await cliHistory(fresh.handle.workflowId);
    const keyIds = new Set(
      [...freshCli.matchAll(/"encryption-key-id":\s*"([^"]+)"/g)].map((m) =>
        Buffer.from(m[1]!, 'base64').toString(),
      ),
    );
    expect([...keyIds]).toEqual([`k2-${tag}`]);

    const withoutK1 = await side(k2);
    await expect(withoutK1.client.workflow.getHandle(sealed.handle.workflowId).result()).rejects.toThrow(
      new RegExp(
        `encrypted with key "k1-${tag}", which is not configured .*CLO_ENCRYPTION_KEY_FILE or CLO_ENCRYPTION_KEYS`,
      ),
    );
  });

  it('keeps failure messages and stack traces out of the server; the codec and clo read them back', async () => {
    // Workers that read only `roots`: an upload of a file beside it fails with PathNotAllowed,
    // whose message names the file (and so the item: each file is named after its item).
    const roots = join(dir, `roots-${tag}`);
    await mkdir(roots);
    const encrypted = await side(k1, [roots]);
    const plain = await side(undefined, [roots]);
    const secretName = `secret-failure-${tag}`;
    const sealedFail = await start(encrypted, secretName);
    const controlFail = await start(plain, `plain-failure-${tag}`);
    const sealedErr: unknown = await sealedFail.handle.result().catch((e: unknown) => e);
    const controlErr: unknown = await controlFail.handle.result().catch((e: unknown) => e);
    const notAllowed = (path: string) => ({
      type: 'PathNotAllowed',
      message: expect.stringContaining(`source.path ${path} is not allowed`) as string,
    });
    // The client with the codec reads the whole failure, like one without encryption.
    expect(failureOf(sealedErr)).toMatchObject(notAllowed(sealedFail.path));
    expect(failureOf(controlErr)).toMatchObject(notAllowed(controlFail.path));

    // So does clo, with the key in its environment.
    const cloName = `secret-clo-${tag}`;
    const cloFile = await writeRandomFile(join(dir, `${cloName}.iso`), 1024, cloName);
    const cloRun = await clo(
      [
        'upload',
        cloFile.path,
        '--library',
        `id:${libraryId}`,
        '--item',
        cloName,
        '--vcenter',
        'vcsim',
        '--wait',
      ],
      {
        ...(await cloEnv(
          { ...encrypted.config, temporal: { ...encrypted.config.temporal, encryption: undefined } },
          dir,
        )),
        CLO_ENCRYPTION_KEYS: k1,
      },
    );
    expect(cloRun.stderr).toContain(
      `clo: the workflow failed: PathNotAllowed: source.path ${cloFile.path} is not allowed`,
    );
    expect(cloRun.code).toBe(EXIT.NOT_ALLOWED);

    // Stored without the codec, the control's failures carry the path and stack traces in clear ...
    const controlFailures = storedFailures(await cliHistory(controlFail.handle.workflowId));
    expect(controlFailures.some((f) => f.message?.includes(controlFail.path))).toBe(true);
    expect(controlFailures.some((f) => f.stackTrace)).toBe(true);
    // ... the encrypted saga's say only "Encoded failure", with their text in a sealed payload,
    const sealedCli = await cliHistory(sealedFail.handle.workflowId);
    const sealedFailures = storedFailures(sealedCli);
    expect(sealedFailures.length).toBeGreaterThan(0);
    for (const f of sealedFailures) {
      expect(f).toMatchObject({ message: 'Encoded failure' });
      expect(f.stackTrace ?? '').toBe('');
      expect(f.encodedAttributes?.metadata?.encoding).toBe('YmluYXJ5L2VuY3J5cHRlZA=='); // "binary/encrypted"
    }
    // ... and neither history nor database file holds the encrypted sagas' names or paths.
    const db = (await databaseBytes()).toString('latin1');
    expect(db).toContain(controlFail.path);
    for (const text of [readable(sealedCli), db]) {
      expect(text).not.toContain(secretName);
      expect(text).not.toContain(cloName);
    }
  });

  it('refuses a prebuilt workflow bundle whose failure converter does not match the keys', async () => {
    const base = testConfig();
    const keyed = { ...base, temporal: TemporalConfig.parse({ ...base.temporal, encryption: { keys: k1 } }) };
    const stack = stackInfo();
    await expect(
      createWorker({ config: keyed, workflowBundle: { codePath: stack.workflowBundlePath } }),
    ).rejects.toThrow(
      /built without the sealed-failure converter, but encryption keys are configured .*`npm run build:workflows -- --sealed-failures`/,
    );
    await expect(
      createWorker({ config: base, workflowBundle: { codePath: stack.sealedWorkflowBundlePath } }),
    ).rejects.toThrow(/built with --sealed-failures, but no encryption key is configured/);
  });
});
