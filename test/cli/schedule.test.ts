/**
 * `clo schedule ...` against the stack's Temporal server: real Temporal Schedules that
 * fire, and `clo reap` once. The scheduled workflow is the reaper (on the shared vcsim
 * with the default five-minute lease and 15-minute grace, so it touches nothing there).
 * `clo` runs as a real process where the process matters (the firing schedule, exit
 * codes), in this process (`cli`) for the many other calls.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import {
  deleteSchedule,
  describeSchedule,
  type ScheduleDetails,
  type ScheduleListEntry,
} from '../../client/schedules';
import type { ReapResult } from '../../workflows/definitions/reap';
import { clo, cloEnv, cloInProcess, type CloRun } from '../support/clo';
import { startTestWorker, testConfig, type TestWorker } from '../stack/harness';

/** Polls the schedule until `check` holds (or fails after `ms`). */
async function waitForSchedule(
  client: Client,
  name: string,
  check: (d: ScheduleDetails) => boolean,
  ms = 20_000,
): Promise<ScheduleDetails> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await describeSchedule(client, name);
    if (check(d)) return d;
    if (Date.now() > deadline) throw new Error(`schedule ${name} never got there: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('clo schedule', () => {
  let dir: string;
  let worker: TestWorker;
  let env: NodeJS.ProcessEnv;
  const cli = async (args: string[]) => cloInProcess(args, env);
  const created: string[] = [];
  const unique = (prefix: string) => {
    const name = `${prefix}-${randomUUID().slice(0, 8)}`;
    created.push(name);
    return name;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clo-schedule-'));
    const config = testConfig();
    worker = await startTestWorker(config);
    env = await cloEnv(config, dir);
  });
  afterAll(async () => {
    // Leave no schedule firing into a dead task queue.
    for (const name of created) await deleteSchedule(worker.client, name).catch(() => undefined);
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a reaper schedule that fires every 2s and whose run completes; delete removes it', async () => {
    const name = unique('reaper');
    const made = await clo(
      ['schedule', 'create-reaper', '--name', name, '--every', '2s', '--vcenter', 'vcsim', '--json'],
      env,
    );
    expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    const details = JSON.parse(made.stdout) as ScheduleDetails;
    expect(details).toMatchObject({
      name,
      workflowType: 'reapOrphanSessions',
      kind: 'reaper',
      timing: 'every 2s',
      spec: { intervalsMs: [2000] },
      overlap: 'SKIP',
      paused: false,
      args: [{ vcenter: 'vcsim', graceMs: 900_000, leaseMs: 300_000, dryRun: false }],
    });

    const fired = await waitForSchedule(worker.client, name, (d) =>
      d.recentRuns.some((r) => r.status === 'COMPLETED'),
    );
    const run = fired.recentRuns.find((r) => r.status === 'COMPLETED')!;
    expect(run.workflowId).toMatch(new RegExp(`^reap/schedule/${name}-`));
    const result = (await worker.client.workflow.getHandle(run.workflowId, run.runId).result()) as ReapResult;
    expect(result).toMatchObject({ vcenter: 'vcsim', dryRun: false, counts: { reaped: 0, failed: 0 } });

    const removed = await cli(['schedule', 'delete', name, '--json']);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ name, deleted: true });
    const gone = await clo(['schedule', 'describe', name], env);
    expect(gone.code).toBe(3);
    expect(gone.stderr.trim()).toBe(`clo: no schedule named ${name}`);
  });

  it('lists, describes, pauses, unpauses and triggers a schedule', async () => {
    const name = unique('hourly');
    expect(
      (await cli(['schedule', 'create-reaper', '--name', name, '--vcenter', 'vcsim', '--grace', '30m'])).code,
    ).toBe(0);

    const listed = await cli(['schedule', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as ScheduleListEntry[]).find((s) => s.name === name)).toMatchObject({
      workflowType: 'reapOrphanSessions',
      timing: 'every 1h',
      paused: false,
    });
    const text = await cli(['schedule', 'describe', name]);
    expect(text.stdout).toContain(`schedule   ${name}`);
    expect(text.stdout).toContain('reapOrphanSessions');
    expect(text.stdout).toContain('overlap SKIP');
    expect(text.stdout).toContain('"graceMs":1800000');

    expect((await cli(['schedule', 'pause', name, '--note', 'maintenance'])).code).toBe(0);
    const paused = JSON.parse(
      (await cli(['schedule', 'describe', name, '--json'])).stdout,
    ) as ScheduleDetails;
    expect(paused).toMatchObject({ paused: true, note: 'maintenance' });
    expect((await cli(['schedule', 'unpause', name])).code).toBe(0);
    expect((await describeSchedule(worker.client, name)).paused).toBe(false);

    // Hourly: a run now can only come from the trigger.
    expect((await describeSchedule(worker.client, name)).actionsTaken).toBe(0);
    const triggered = await cli(['schedule', 'trigger', name]);
    expect(triggered).toMatchObject({ code: 0, stdout: `triggered schedule ${name}\n` });
    const ran = await waitForSchedule(worker.client, name, (d) =>
      d.recentRuns.some((r) => r.status === 'COMPLETED'),
    );
    expect(ran.actionsTaken).toBe(1);
  });

  it('creates a sync schedule from the clo sync arguments after --, with overlap SKIP', async () => {
    const name = unique('nightly');
    const made = await cli([
      'schedule',
      'create',
      name,
      '--cron',
      '0 3 * * *',
      '--paused',
      '--json',
      '--',
      '--source',
      '/srv/isos',
      '--library',
      'isos',
      '--vcenter',
      'vcsim',
      '--prune',
    ]);
    expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(made.stdout)).toMatchObject({
      name,
      workflowType: 'syncLibrary',
      kind: 'sync',
      timing: 'cron 0 3 * * *',
      spec: { calendars: 1 },
      overlap: 'SKIP',
      paused: true,
      // The input `clo sync --source /srv/isos --library isos --vcenter vcsim --prune` starts.
      args: [
        expect.objectContaining({
          vcenter: 'vcsim',
          library: { name: 'isos' },
          source: { kind: 'catalog', path: '/srv/isos' },
          prune: true,
          options: expect.objectContaining({ itemConcurrency: 2, batchSize: 100 }),
        }),
      ],
    });
    // Its runs get clo sync's workflow id for the library (the server appends the time).
    const action = await worker.client.schedule.getHandle(name).describe();
    expect(action.action.workflowId).toBe('sync/vcsim/isos');
    const again = await cli([
      'schedule',
      'create',
      name,
      '--every',
      '1h',
      '--',
      '--source',
      '/srv/isos',
      '--library',
      'isos',
    ]);
    expect(again.code).toBe(4); // conflict: the name is taken (client/exit-codes.ts)
    expect(again.stderr.trim()).toBe(`clo: a schedule named ${name} already exists`);
  });

  it('refuses bad input with exit code 2 and one line, and a missing schedule with 3', async () => {
    const sync = ['--', '--source', '/srv', '--library', 'lib'];
    const calls: string[][] = [
      ['schedule', 'create', unique('x'), ...sync],
      ['schedule', 'create', unique('x'), '--every', '1h', '--cron', '0 3 * * *', ...sync],
      ['schedule', 'create', unique('x'), '--every', 'soon', ...sync],
      ['schedule', 'create', unique('x'), '--cron', 'not a cron', ...sync],
      ['schedule', 'create', unique('x'), '--every', '1h', '--', '--library', 'lib'],
      ['schedule', 'create-reaper', '--name', unique('x'), '--grace', 'a while'],
    ];
    const runs: CloRun[] = [];
    for (const args of calls) runs.push(await cli(args));
    // One real process, for the exit code as a shell sees it.
    runs.push(await clo(['schedule', 'pause', `missing-${randomUUID().slice(0, 8)}`], env));
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 3]);
    expect(runs[0]!.stderr.trim()).toBe('clo: give --every <duration> (e.g. 1h) or --cron "<expression>"');
    expect(runs[2]!.stderr.trim()).toBe('clo: --every: expected a duration like 30s, 15m or 1h (got "soon")');
    expect(runs[4]!.stderr).toMatch(
      /^clo: sync arguments: required option '--source <[^>]+>' not specified\n$/,
    );
    for (const r of runs) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // None of the refused ones was created.
    const refused = created.filter((n) => n.startsWith('x-'));
    const exists = await Promise.all(
      refused.map(async (n) =>
        describeSchedule(worker.client, n).then(
          () => true,
          () => false,
        ),
      ),
    );
    expect(exists).toEqual(refused.map(() => false));
  });

  it('clo reap runs the reaper once and prints what it found, as a table or JSON', async () => {
    const json = await cli(['reap', '--vcenter', 'vcsim', '--dry-run', '--json']);
    const text = await cli(['reap', '--vcenter', 'vcsim', '--dry-run', '--grace', '1h']);
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(json.stdout) as ReapResult;
    expect(result).toMatchObject({ vcenter: 'vcsim', dryRun: true, graceMs: 900_000, leaseMs: 300_000 });
    expect(result.counts.reaped).toBe(0);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^dry run: \d+ sessions? on vcsim, \d+ orphaned, 0 reaped \(grace 1h0m, lease 5m0s\)/,
    );
    const bad = await cli(['reap', '--vcenter', 'vcsim', '--lease', '0']);
    expect(bad.code).toBe(2);
  });
});
