/**
 * The typed API for clo's Temporal Schedules: a library sync (`syncLibrary`) or the
 * orphan-session reaper (`reapOrphanSessions`) on an interval or a cron expression,
 * overlap policy SKIP (a run still going when the next is due makes the next one skip).
 * They are real Temporal schedules: the Web UI's Schedules page shows them, and
 * `temporal schedule ...` works on them too.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleHandle,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
  type Workflow,
} from '@temporalio/client';
import { z } from 'zod';
import { Duration, type CloConfig } from '../temporal.config';
import type { ReapInput } from '../workflows/definitions/reap';
import { syncWorkflowId, type SyncInput } from '../workflows/definitions/sync';
import { ConflictError, InvalidInputError, NotFoundError } from './errors';
import { prepareReapInput } from './reap';
import { describeSyncSource, prepareSyncInput, withHashedNames } from './sync';

/** What a schedule runs, by the name `clo schedule list` shows. */
export const SCHEDULE_WORKFLOWS = { sync: 'syncLibrary', reaper: 'reapOrphanSessions' } as const;
export type ScheduleKind = keyof typeof SCHEDULE_WORKFLOWS;

/** When a schedule fires: every fixed interval (`30s`, `1h`, or ms), or on a cron expression. */
export type ScheduleTiming = { every: string | number } | { cron: string };

/** Options for {@link createSyncSchedule}. */
export interface CreateSyncScheduleOptions {
  /** Schedule id: letters, digits, `.`, `_`, `-`. */
  name: string;
  timing: ScheduleTiming;
  /** What `clo sync` would start; see `syncInputFromArgs` for building it from `clo sync` arguments. */
  input: SyncInput;
  taskQueue: string;
  /** Fills the saga timeouts the input leaves open, as `clo sync` does. */
  config?: CloConfig;
  /** Create it paused. @default false */
  paused?: boolean;
  note?: string;
}

/** Options for {@link createReaperSchedule}. */
export interface CreateReaperScheduleOptions {
  /** @default `reaper-<vcenter>` */
  name?: string;
  /** @default every 1h */
  timing?: ScheduleTiming;
  input: ReapInput;
  taskQueue: string;
  paused?: boolean;
  note?: string;
}

/** Memo kept on the schedule: how it was asked for (a cron expression is stored by the server as calendars). */
const CloMemo = z.object({
  kind: z.enum(['sync', 'reaper']),
  every: z.string().optional(),
  cron: z.string().optional(),
});
type CloMemo = z.infer<typeof CloMemo>;

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(name)) {
    throw new InvalidInputError(`schedule name: expected letters, digits, '.', '_' or '-' (got "${name}")`);
  }
}

/** Milliseconds of `30s`, `15m`, `1h`, `1500ms` or a number; InvalidInputError otherwise. */
export function parseDuration(value: string | number, what: string): number {
  const parsed = Duration.safeParse(value);
  if (!parsed.success)
    throw new InvalidInputError(`${what}: expected a duration like 30s, 15m or 1h (got "${value}")`);
  return parsed.data;
}

function compileTiming(timing: ScheduleTiming): {
  spec: ScheduleSpec;
  memo: Pick<CloMemo, 'every' | 'cron'>;
} {
  if ('cron' in timing) {
    if (!timing.cron.trim())
      throw new InvalidInputError('--cron: expected a cron expression such as "0 3 * * *"');
    return { spec: { cronExpressions: [timing.cron] }, memo: { cron: timing.cron } };
  }
  const every = parseDuration(timing.every, '--every');
  if (every < 1000) throw new InvalidInputError(`--every: expected at least 1s (got "${timing.every}")`);
  return { spec: { intervals: [{ every }] }, memo: { every: String(timing.every) } };
}

async function create(
  client: Client,
  name: string,
  kind: ScheduleKind,
  timing: ScheduleTiming,
  action: ScheduleOptionsStartWorkflowAction<Workflow>,
  state: { paused?: boolean | undefined; note?: string | undefined },
): Promise<ScheduleHandle> {
  checkName(name);
  const { spec, memo } = compileTiming(timing);
  try {
    return await client.schedule.create({
      scheduleId: name,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      memo: { clo: { kind, ...memo } satisfies CloMemo },
      state: { paused: Boolean(state.paused), ...(state.note ? { note: state.note } : {}) },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new ConflictError(`a schedule named ${name} already exists`);
    // The server refuses a bad cron expression ("Invalid schedule spec"); the SDK rethrows it as a TypeError.
    if (err instanceof TypeError)
      throw new InvalidInputError(`schedule ${name}: invalid timing: ${err.message}`);
    throw err;
  }
}

/** Creates a schedule that starts `syncLibrary` with `input`, validated as `clo sync` validates it. */
export async function createSyncSchedule(
  client: Client,
  opts: CreateSyncScheduleOptions,
): Promise<ScheduleHandle> {
  const input = withHashedNames(client, prepareSyncInput(opts.input, opts.config));
  const library = 'id' in input.library ? input.library.id : input.library.name;
  return await create(
    client,
    opts.name,
    'sync',
    opts.timing,
    {
      type: 'startWorkflow',
      workflowType: SCHEDULE_WORKFLOWS.sync,
      // `clo sync`'s id for this library; the server appends the scheduled time for each run.
      workflowId: syncWorkflowId(input, input.options.hashNames),
      taskQueue: opts.taskQueue,
      args: [input],
      staticSummary: `scheduled sync ${describeSyncSource(input.source)} → ${library} on ${input.vcenter}${input.prune ? ' (prune)' : ''}`,
    },
    opts,
  );
}

/** Creates a schedule that runs the orphan-session reaper on `input.vcenter`. */
export async function createReaperSchedule(
  client: Client,
  opts: CreateReaperScheduleOptions,
): Promise<ScheduleHandle> {
  const input = prepareReapInput(opts.input);
  const name = opts.name ?? `reaper-${input.vcenter}`;
  return await create(
    client,
    name,
    'reaper',
    opts.timing ?? { every: '1h' },
    {
      type: 'startWorkflow',
      workflowType: SCHEDULE_WORKFLOWS.reaper,
      workflowId: `reap/schedule/${name}`,
      taskQueue: opts.taskQueue,
      args: [input],
      staticSummary: `scheduled ${input.dryRun ? 'dry run of the ' : ''}reaper on ${input.vcenter}`,
    },
    opts,
  );
}

/** One schedule as `clo schedule list` shows it. */
export interface ScheduleListEntry {
  name: string;
  workflowType: string;
  kind?: ScheduleKind;
  /** `every 1h` or `cron 0 3 * * *`, as created. */
  timing?: string;
  paused: boolean;
  note?: string;
  nextRunAt?: string;
  lastRun?: { workflowId: string; runId: string; scheduledAt: string };
}

function timingOf(memo: Record<string, unknown> | undefined): { kind?: ScheduleKind; timing?: string } {
  const parsed = CloMemo.safeParse(memo?.clo);
  if (!parsed.success) return {};
  const { kind, every, cron } = parsed.data;
  return { kind, ...(every ? { timing: `every ${every}` } : cron ? { timing: `cron ${cron}` } : {}) };
}

/** clo's schedules (those starting syncLibrary or reapOrphanSessions) in the namespace. */
export async function listSchedules(client: Client): Promise<ScheduleListEntry[]> {
  const ours = new Set<string>(Object.values(SCHEDULE_WORKFLOWS));
  const out: ScheduleListEntry[] = [];
  for await (const s of client.schedule.list()) {
    const workflowType = s.action?.workflowType ?? '';
    if (!ours.has(workflowType)) continue;
    const last = s.info.recentActions.at(-1);
    const next = s.info.nextActionTimes[0];
    out.push({
      name: s.scheduleId,
      workflowType,
      ...timingOf(s.memo),
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      ...(next ? { nextRunAt: next.toISOString() } : {}),
      ...(last
        ? {
            lastRun: {
              workflowId: last.action.workflow.workflowId,
              runId: last.action.workflow.firstExecutionRunId,
              scheduledAt: last.scheduledAt.toISOString(),
            },
          }
        : {}),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A run the schedule started, with its current status. */
export interface ScheduledRun {
  workflowId: string;
  runId: string;
  scheduledAt: string;
  startedAt: string;
  /** RUNNING, COMPLETED, FAILED, ...; UNKNOWN once visibility has forgotten it. */
  status: string;
}

/** Everything about one schedule, for `clo schedule describe`. */
export interface ScheduleDetails {
  name: string;
  workflowType: string;
  kind?: ScheduleKind;
  timing?: string;
  /** Intervals in ms and calendar specs, as the server holds them. */
  spec: { intervalsMs: number[]; calendars: number };
  args: unknown[];
  taskQueue: string;
  overlap: string;
  paused: boolean;
  note?: string;
  createdAt: string;
  nextRunsAt: string[];
  actionsTaken: number;
  skippedOverlap: number;
  recentRuns: ScheduledRun[];
}

function handleOf(client: Client, name: string): ScheduleHandle {
  return client.schedule.getHandle(name);
}

async function notFound<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new NotFoundError(`no schedule named ${name}`);
    throw err;
  }
}

/** Describes the schedule `name`, with the status of its recent runs. NotFoundError when there is none. */
export async function describeSchedule(client: Client, name: string): Promise<ScheduleDetails> {
  const d = await notFound(name, async () => handleOf(client, name).describe());
  const recentRuns = await Promise.all(
    d.info.recentActions.map(async (a): Promise<ScheduledRun> => {
      const { workflowId, firstExecutionRunId: runId } = a.action.workflow;
      const status = await client.workflow
        .getHandle(workflowId, runId)
        .describe()
        .then((w) => w.status.name as string)
        .catch(() => 'UNKNOWN');
      return {
        workflowId,
        runId,
        scheduledAt: a.scheduledAt.toISOString(),
        startedAt: a.takenAt.toISOString(),
        status,
      };
    }),
  );
  return {
    name,
    workflowType: d.action.workflowType,
    ...timingOf(d.memo),
    spec: {
      intervalsMs: (d.spec.intervals ?? []).map((i) => i.every),
      calendars: (d.spec.calendars ?? []).length,
    },
    args: [...((d.action.args ?? []) as readonly unknown[])],
    taskQueue: d.action.taskQueue ?? '',
    overlap: d.policies.overlap ?? 'UNSPECIFIED',
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    createdAt: d.info.createdAt.toISOString(),
    nextRunsAt: d.info.nextActionTimes.map((t) => t.toISOString()),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    recentRuns,
  };
}

/** Pauses the schedule (no runs until unpaused). */
export async function pauseSchedule(client: Client, name: string, note?: string): Promise<void> {
  await notFound(name, async () => handleOf(client, name).pause(note ?? 'paused by clo'));
}

/** Resumes a paused schedule. */
export async function unpauseSchedule(client: Client, name: string, note?: string): Promise<void> {
  await notFound(name, async () => handleOf(client, name).unpause(note ?? 'unpaused by clo'));
}

/** Starts a run now, whatever the timing or pause says; skipped if a run is still going (two syncs of one library would fight). */
export async function triggerSchedule(client: Client, name: string): Promise<void> {
  await notFound(name, async () => handleOf(client, name).trigger(ScheduleOverlapPolicy.SKIP));
}

/** Deletes the schedule; runs it already started go on. */
export async function deleteSchedule(client: Client, name: string): Promise<void> {
  await notFound(name, async () => handleOf(client, name).delete());
}
