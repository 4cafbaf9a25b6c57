import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../client/dev-stack';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/definitions';

const CLO = resolve(__dirname, '../../bin/clo');

interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
}

async function startDev(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [CLO, 'dev', ...args], { stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`clo dev did not come up:\n${out}`)), 90_000);
    const check = () => {
      if (out.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`clo dev exited with ${code}:\n${out}`));
    });
  });
  return { child, output: () => out };
}

async function stop(running: Running): Promise<number | null> {
  return await new Promise((done) => {
    running.child.once('exit', (code) => done(code));
    running.child.kill('SIGINT');
  });
}

describe('clo dev', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'clo-dev-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves Temporal, the Web UI and vcsim, registers search attributes, keeps history across a restart and stops on Ctrl-C', async () => {
    const [port, uiPort, vcsimPort] = [await freePort(), await freePort(), await freePort()];
    const args = [
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--vcsim-port',
      String(vcsimPort),
    ];
    const first = await startDev(args);
    const workflowId = `survives-restart-${Date.now()}`;
    try {
      expect(first.output()).toContain(`Temporal       127.0.0.1:${port}`);
      expect(first.output()).toContain(`Web UI         http://127.0.0.1:${uiPort}`);
      expect(first.output()).toContain(`vCenter (sim)  http://127.0.0.1:${vcsimPort}`);
      expect(first.output()).toMatch(/datastore\s+datastore-\d+/);

      const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
      expect(ui.status).toBe(200);
      await ui.arrayBuffer();

      const login = await fetch(`http://127.0.0.1:${vcsimPort}/rest/com/vmware/cis/session`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      });
      expect(login.status).toBe(200);
      expect(((await login.json()) as { value: string }).value).toEqual(expect.any(String));

      const config = JSON.parse(await readFile(join(dataDir, 'clo.json'), 'utf8')) as {
        temporal: { address: string };
        worker: { readRoots: string[]; writeRoots: string[] };
      };
      expect(config.temporal.address).toBe(`127.0.0.1:${port}`);
      // A worker on this config may read and write the data directory (the demo's files) and the temporary directory.
      for (const roots of [config.worker.readRoots, config.worker.writeRoots])
        expect(roots).toEqual(expect.arrayContaining([dataDir, tmpdir()]));
      expect(first.output()).toContain(`worker roots   `);

      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({
          namespace: 'default',
        });
        for (const key of ALL_SEARCH_ATTRIBUTES)
          expect(Object.keys(customAttributes ?? {})).toContain(key.name);
        // Nothing polls this queue, so the workflow stays open in history.
        await new Client({ connection }).workflow.start('smokeWorkflow', {
          taskQueue: 'nobody-polls-this',
          workflowId,
          args: [{ vcenter: 'default' }],
        });
      } finally {
        await connection.close();
      }
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(first.output()).toContain('stopped.');
    // The ports are released.
    await expect(fetch(`http://127.0.0.1:${uiPort}/`)).rejects.toThrow();

    const second = await startDev(args);
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
        expect(described.status.name).toBe('RUNNING');
      } finally {
        await connection.close();
      }
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
