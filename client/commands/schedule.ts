import type { Command } from 'commander';
import { InvalidInputError } from '../errors';
import type { ScheduleDetails, ScheduleTiming } from '../schedules';
import { syncInputFromArgs } from './sync';
import { table, when } from '../table';
import type { Client } from '@temporalio/client';
import type { CloConfig } from '../../temporal.config';

interface TimingOptions {
  every?: string;
  cron?: string;
}

function timing(opts: TimingOptions, fallback?: ScheduleTiming): ScheduleTiming {
  if (opts.every && opts.cron) throw new InvalidInputError('give --every or --cron, not both');
  if (opts.every) return { every: opts.every };
  if (opts.cron) return { cron: opts.cron };
  if (fallback) return fallback;
  throw new InvalidInputError('give --every <duration> (e.g. 1h) or --cron "<expression>"');
}

function formatDetails(d: ScheduleDetails): string {
  const lines = [
    `schedule   ${d.name}${d.paused ? '  (PAUSED' + (d.note ? `: ${d.note}` : '') + ')' : ''}`,
    `runs       ${d.workflowType} on task queue ${d.taskQueue}, ${d.timing ?? `every ${d.spec.intervalsMs.join(', ')} ms`}, overlap ${d.overlap}`,
    `input      ${JSON.stringify(d.args[0] ?? null)}`,
    `created    ${when(d.createdAt)}; ${d.actionsTaken} run(s) started, ${d.skippedOverlap} skipped for overlap`,
    `next       ${d.nextRunsAt.slice(0, 3).map(when).join(', ') || '-'}`,
  ];
  if (d.recentRuns.length) {
    lines.push(
      'recent',
      table(
        ['  WORKFLOW ID', 'STARTED', 'STATUS'],
        d.recentRuns.map((r) => [`  ${r.workflowId}`, when(r.startedAt), r.status]),
      ),
    );
  }
  return lines.join('\n');
}

// ../schedules, the config and the client are loaded when an action runs, not at the top,
// so `clo --help` loads none of them (bench/startup.ts).

/** Runs `fn` with a client for the configured cluster. */
async function withClient<T>(fn: (client: Client, config: CloConfig) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../../temporal.config');
  const { connectClient } = await import('../connection');
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    return await fn(client, config);
  } finally {
    await close();
  }
}

const print = (json: boolean | undefined, value: unknown, text: string): void => {
  console.log(json ? JSON.stringify(value) : text);
};

/** `clo schedule ...`: Temporal Schedules for library syncs and the reaper. */
export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description(
      'Temporal Schedules that run a library sync or the orphan-session reaper (visible in the Web UI)',
    );

  schedule
    .command('create <name> [syncArgs...]')
    .usage(
      '<name> (--every <duration> | --cron <expr>) -- <clo sync options: --source S --library L [--vcenter V] [--prune] ...>',
    )
    .description('schedule syncLibrary; the arguments after -- are those of clo sync')
    .option('--every <duration>', 'run every interval, e.g. 30m, 1h')
    .option('--cron <expr>', 'run on a cron expression, e.g. "0 3 * * *"')
    .option('--paused', 'create it paused')
    .option('--note <text>', 'a note shown with the schedule')
    .option('--json', 'print machine-readable JSON')
    .action(
      async (
        name: string,
        syncArgs: string[],
        opts: TimingOptions & { paused?: boolean; note?: string; json?: boolean },
      ) => {
        const { createSyncSchedule, describeSchedule } = await import('../schedules');
        const when_ = timing(opts);
        // Read with clo sync's own option definitions, so the schedule starts what `clo sync` would.
        const input = syncInputFromArgs(syncArgs);
        await withClient(async (client, config) => {
          await createSyncSchedule(client, {
            name,
            timing: when_,
            input,
            config,
            taskQueue: config.temporal.taskQueue,
            ...(opts.paused ? { paused: true } : {}),
            ...(opts.note ? { note: opts.note } : {}),
          });
          const d = await describeSchedule(client, name);
          print(opts.json, d, `created schedule ${name}\n${formatDetails(d)}`);
        });
      },
    );

  schedule
    .command('create-reaper')
    .description('schedule the orphan-session reaper on a vCenter')
    .option('--name <name>', 'schedule name (default: reaper-<vcenter>)')
    .option('--every <duration>', 'run every interval (default 1h)')
    .option('--cron <expr>', 'run on a cron expression instead')
    .option('--vcenter <name>', 'configured vCenter connection', 'default')
    .option('--grace <duration>', 'idle time after which an unowned ACTIVE session is reaped', '15m')
    .option('--lease <duration>', "the server's session timeout", '5m')
    .option('--dry-run', 'the scheduled runs only report')
    .option('--paused', 'create it paused')
    .option('--note <text>', 'a note shown with the schedule')
    .option('--json', 'print machine-readable JSON')
    .action(
      async (
        opts: TimingOptions & {
          name?: string;
          vcenter: string;
          grace: string;
          lease: string;
          dryRun?: boolean;
          paused?: boolean;
          note?: string;
          json?: boolean;
        },
      ) => {
        const { createReaperSchedule, describeSchedule, parseDuration } = await import('../schedules');
        const input = {
          vcenter: opts.vcenter,
          graceMs: parseDuration(opts.grace, '--grace'),
          leaseMs: parseDuration(opts.lease, '--lease'),
          dryRun: Boolean(opts.dryRun),
        };
        const when_ = timing(opts, { every: '1h' });
        await withClient(async (client, config) => {
          // The reaper runs on the workers with this config: a name it lacks would fail every run.
          const { getVCenter } = await import('../../temporal.config');
          getVCenter(config, opts.vcenter);
          const handle = await createReaperSchedule(client, {
            ...(opts.name ? { name: opts.name } : {}),
            timing: when_,
            input,
            taskQueue: config.temporal.taskQueue,
            ...(opts.paused ? { paused: true } : {}),
            ...(opts.note ? { note: opts.note } : {}),
          });
          const d = await describeSchedule(client, handle.scheduleId);
          print(opts.json, d, `created schedule ${handle.scheduleId}\n${formatDetails(d)}`);
        });
      },
    );

  schedule
    .command('list')
    .description("clo's schedules: name, what they run, when, paused, next and last run")
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      const { listSchedules } = await import('../schedules');
      await withClient(async (client) => {
        const all = await listSchedules(client);
        print(
          opts.json,
          all,
          all.length === 0
            ? 'no schedules'
            : table(
                ['NAME', 'RUNS', 'TIMING', 'PAUSED', 'NEXT RUN', 'LAST RUN'],
                all.map((s) => [
                  s.name,
                  s.workflowType,
                  s.timing,
                  s.paused ? 'yes' : 'no',
                  when(s.nextRunAt),
                  s.lastRun?.workflowId,
                ]),
              ),
        );
      });
    });

  schedule
    .command('describe <name>')
    .description('one schedule: timing, input, policies, next runs, recent runs and their status')
    .option('--json', 'print machine-readable JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { describeSchedule } = await import('../schedules');
      await withClient(async (client) => {
        const d = await describeSchedule(client, name);
        print(opts.json, d, formatDetails(d));
      });
    });

  const simple = (verb: 'pause' | 'unpause' | 'trigger' | 'delete', description: string, past: string) => {
    const cmd = schedule
      .command(`${verb} <name>`)
      .description(description)
      .option('--json', 'print machine-readable JSON');
    if (verb === 'pause' || verb === 'unpause') cmd.option('--note <text>', 'why (shown with the schedule)');
    cmd.action(async (name: string, opts: { json?: boolean; note?: string }) => {
      const { deleteSchedule, pauseSchedule, triggerSchedule, unpauseSchedule } =
        await import('../schedules');
      await withClient(async (client) => {
        if (verb === 'pause') await pauseSchedule(client, name, opts.note);
        else if (verb === 'unpause') await unpauseSchedule(client, name, opts.note);
        else if (verb === 'trigger') await triggerSchedule(client, name);
        else await deleteSchedule(client, name);
        print(opts.json, { name, [past]: true }, `${past} schedule ${name}`);
      });
    });
  };
  simple('pause', 'stop starting runs until unpaused', 'paused');
  simple('unpause', 'resume a paused schedule', 'unpaused');
  simple('trigger', 'start a run now (skipped if one is still going)', 'triggered');
  simple('delete', 'delete the schedule (runs already started go on)', 'deleted');
}
