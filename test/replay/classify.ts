/**
 * What a recorded workflow history shows, read from the history alone (event types,
 * activity attempts, search-attribute upserts, failure types), in the JSON form of
 * `temporal workflow show --output json` and `historyToJSON`. The recorder uses it to
 * keep a few small histories of each kind; the replay test uses it to check that the
 * corpus still covers every kind.
 */

/** One event of a history in proto JSON: `eventType` plus one `...EventAttributes` object. */
export interface JsonEvent {
  eventId: string;
  eventType: string;
  [attributes: string]: unknown;
}

/** A history as JSON: what `historyFromJSON` and `Worker.runReplayHistories` accept. */
export interface JsonHistory {
  events: JsonEvent[];
}

/**
 * The kinds of run a history can show. A history usually shows several (an upload that
 * restarted its session after a worker kill and then completed: kill-and-resume,
 * session-restart, source-push).
 */
export const SCENARIOS = [
  /** Completed with no retry, compensation, restart, take-over or cancellation. */
  'happy-path',
  /** A worker died mid-task: an activity retried after a timeout, or a workflow task timed out. */
  'kill-and-resume',
  /** An activity retried after it failed (a reset connection, a 5xx). */
  'activity-retry',
  /** The saga ran its compensations (phase `compensating`). */
  'compensation',
  /** Closed as failed. */
  'failed',
  /** Cancellation was requested. */
  'cancelled',
  /** More than one update or download session in one run. */
  'session-restart',
  /** Took a busy item over from the session that held it. */
  'take-over',
  /** Ended in, or started from, continue-as-new. */
  'continue-as-new',
  /** Failed with TimeBudgetExceeded. */
  'time-budget',
  /** Started child workflows (sync). */
  'child-workflows',
  /** Ran as a child of another workflow. */
  'child',
  /** Started by a schedule. */
  'scheduled',
  /** Waited on a workflow timer. */
  'timer',
  /** Failed before issuing any command: the input was refused. Replays trivially. */
  'input-rejected',
  /** An upload whose bytes came from a local file (PUSH), a URL (PULL) or another vCenter (relay). */
  'source-push',
  'source-pull',
  'source-relay',
  /** An upload read its update session's `preview_info` (the signed-OVF step: activity `getUpdateSessionPreview`). */
  'certificate-review',
  /** An upload waited for a person's decision on a signing certificate (upserted phase `awaiting-approval`). */
  'approval',
  /** Accepted an `approve` Update (a `WorkflowExecutionUpdateAccepted` event named `approve`). */
  'approved',
  /** Accepted a `reject` Update (a `WorkflowExecutionUpdateAccepted` event named `reject`). */
  'rejected',
  /** Failed with ApprovalTimedOut: nobody decided within the approval timeout (its timer fired). */
  'approval-timeout',
  /** Queued for its vCenter's transfer permit (upserted phase `waiting-for-permit`). */
  'permit-wait',
  /** The session lease ended the work: a `holdSession` activity failed (session gone, vCenter unreachable). */
  'lease-lost',
  /** Showed vCenter away while its lease retried keep_alive (upserted phase `waiting-for-vcenter`). */
  'vcenter-outage',
  /** A download failed with HostUnavailable: no worker of its host's task queue came back in time. */
  'host-unavailable',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What {@link classifyHistory} found. */
export interface HistoryClass {
  workflowType: string;
  taskQueue: string;
  /** Last event, e.g. `completed`, `failed`, `continued-as-new`, or `running` when not closed. */
  status: string;
  scenarios: Scenario[];
  /** Build ids of the workers that completed its workflow tasks. */
  buildIds: string[];
  /** Memo keys the starter set (`cloTestBuild` marks a run on a deliberately different build). */
  memoKeys: string[];
  events: number;
}

const CLOSE_STATUS: Record<string, string> = {
  EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: 'completed',
  EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: 'failed',
  EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: 'cancelled',
  EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: 'terminated',
  EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: 'timed-out',
  EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: 'continued-as-new',
};

/** Event types that record a command of the workflow (what a reordering would change). */
const COMMAND_EVENTS = new Set([
  'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  'EVENT_TYPE_MARKER_RECORDED',
  'EVENT_TYPE_TIMER_STARTED',
  'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED',
  'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
]);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The attributes object of an event (`...EventAttributes`). */
export function attributesOf(event: JsonEvent): Obj {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  return key ? obj(event[key]) : {};
}

/** A JSON payload's value (`json/plain`, base64 `data`); undefined when it is not JSON. */
export function payloadValue(payload: unknown): unknown {
  const data = str(obj(payload).data);
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Failure types anywhere in a failure's cause chain. */
function failureTypes(failure: unknown): string[] {
  const types: string[] = [];
  for (let f = obj(failure); Object.keys(f).length; f = obj(f.cause)) {
    const type = str(obj(f.applicationFailureInfo).type);
    if (type) types.push(type);
  }
  return types;
}

/** The activity type a local-activity marker recorded (core writes its data as JSON). */
function localActivityType(attrs: Obj): string {
  if (attrs.markerName !== 'core_local_activity') return '';
  const payloads = obj(obj(attrs.details).data).payloads;
  const data = obj(payloadValue(Array.isArray(payloads) ? payloads[0] : undefined));
  return str(data.activity_type ?? data.activityType);
}

/** Reads what kind of run a history shows. */
export function classifyHistory(history: JsonHistory): HistoryClass {
  const events = history.events;
  const started = attributesOf(events[0]!);
  const last = events[events.length - 1]!;
  const status = CLOSE_STATUS[last.eventType] ?? 'running';
  const found = new Set<Scenario>();
  const activityTypes = new Set<string>();
  const buildIds = new Set<string>();
  const failures: string[] = [];
  const phases = new Set<unknown>();
  const updates = new Set<string>();
  /** Activity type by its ActivityTaskScheduled event id, to name the activity a failure belongs to. */
  const scheduled = new Map<string, string>();
  const failedActivities = new Set<string>();

  for (const event of events) {
    const attrs = attributesOf(event);
    switch (event.eventType) {
      case 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED':
        activityTypes.add(str(obj(attrs.activityType).name));
        scheduled.set(event.eventId, str(obj(attrs.activityType).name));
        break;
      case 'EVENT_TYPE_ACTIVITY_TASK_FAILED':
      case 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT':
        failedActivities.add(scheduled.get(str(attrs.scheduledEventId)) ?? '');
        break;
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        updates.add(str(obj(obj(attrs.acceptedRequest).input).name));
        break;
      case 'EVENT_TYPE_MARKER_RECORDED': {
        const type = localActivityType(attrs);
        if (type) activityTypes.add(type);
        break;
      }
      case 'EVENT_TYPE_ACTIVITY_TASK_STARTED':
        if (Number(attrs.attempt ?? 1) > 1) {
          const timedOut = obj(attrs.lastFailure).timeoutFailureInfo !== undefined;
          found.add(timedOut ? 'kill-and-resume' : 'activity-retry');
        }
        break;
      case 'EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT':
        found.add('kill-and-resume');
        break;
      case 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED': {
        const id =
          str(obj(attrs.deploymentVersion).buildId) ||
          str(obj(attrs.workerVersion).buildId) ||
          str(attrs.binaryChecksum);
        if (id) buildIds.add(id);
        break;
      }
      case 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
        const fields = obj(obj(attrs.searchAttributes).indexedFields);
        if (fields.CloPhase !== undefined) phases.add(payloadValue(fields.CloPhase));
        const sessions = payloadValue(fields.CloSessionId);
        if (Array.isArray(sessions) && sessions.length > 1) found.add('session-restart');
        break;
      }
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED':
        found.add('cancelled');
        break;
      case 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED':
        found.add('child-workflows');
        break;
      case 'EVENT_TYPE_TIMER_STARTED':
        found.add('timer');
        break;
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED':
        failures.push(...failureTypes(attrs.failure));
        break;
    }
  }

  if (phases.has('compensating')) found.add('compensation');
  if (phases.has('awaiting-approval')) found.add('approval');
  if (phases.has('waiting-for-permit')) found.add('permit-wait');
  if (phases.has('waiting-for-vcenter')) found.add('vcenter-outage');
  if (updates.has('approve')) found.add('approved');
  if (updates.has('reject')) found.add('rejected');
  if (failedActivities.has('holdSession')) found.add('lease-lost');
  if (activityTypes.has('getUpdateSessionPreview')) found.add('certificate-review');
  if (activityTypes.has('takeOverItem')) found.add('take-over');
  if (activityTypes.has('pushFile')) found.add('source-push');
  if (activityTypes.has('pullFile')) found.add('source-pull');
  if (activityTypes.has('relayFile')) found.add('source-relay');
  if (status === 'failed') found.add('failed');
  if (status === 'cancelled') found.add('cancelled');
  if (status === 'continued-as-new' || str(started.continuedExecutionRunId)) found.add('continue-as-new');
  if (failures.includes('TimeBudgetExceeded')) found.add('time-budget');
  if (failures.includes('ApprovalTimedOut')) found.add('approval-timeout');
  if (failures.includes('HostUnavailable')) found.add('host-unavailable');
  if (Object.keys(obj(started.parentWorkflowExecution)).length) found.add('child');
  const startedBy = obj(obj(started.searchAttributes).indexedFields);
  if (startedBy.TemporalScheduledById !== undefined) found.add('scheduled');
  if (status === 'failed' && !events.some((e) => COMMAND_EVENTS.has(e.eventType)))
    found.add('input-rejected');
  const eventful: Scenario[] = [
    'kill-and-resume',
    'activity-retry',
    'compensation',
    'cancelled',
    'session-restart',
    'take-over',
  ];
  if (status === 'completed' && !eventful.some((s) => found.has(s))) found.add('happy-path');

  return {
    workflowType: str(obj(started.workflowType).name),
    taskQueue: str(obj(started.taskQueue).name),
    status,
    scenarios: SCENARIOS.filter((s) => found.has(s)),
    buildIds: [...buildIds].sort(),
    memoKeys: Object.keys(obj(obj(started.memo).fields)).sort(),
    events: events.length,
  };
}

/** The commands a history records, as event types (what a reordered build trips over). */
export function hasCommands(history: JsonHistory): boolean {
  return history.events.some((e) => COMMAND_EVENTS.has(e.eventType));
}

/** Search attributes the workflow upserted at any point (the CloSessionId upsert is what the reordered build moves). */
export function upsertedKeys(history: JsonHistory): Set<string> {
  const keys = new Set<string>();
  for (const e of history.events) {
    if (e.eventType !== 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') continue;
    for (const k of Object.keys(obj(obj(attributesOf(e).searchAttributes).indexedFields))) keys.add(k);
  }
  return keys;
}
