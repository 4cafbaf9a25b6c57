/**
 * What marks each scenario of a saga's path, on small hand-made histories in the JSON form the
 * corpus holds: the recorder keeps histories by these classes and the replay test requires them,
 * so a mark that stopped matching would silently drop a path from the corpus.
 */
import { classifyHistory, type JsonEvent } from './classify';

const json = (value: unknown) => ({
  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
  data: Buffer.from(JSON.stringify(value)).toString('base64'),
});

let id = 0;
/** An event of `type` (WORKFLOW_EXECUTION_STARTED) with its attributes object named as the JSON form names it. */
const event = (type: string, attributes: Record<string, unknown> = {}): JsonEvent => {
  const name = type.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return { eventId: String(++id), eventType: `EVENT_TYPE_${type}`, [`${name}EventAttributes`]: attributes };
};

const started = event('WORKFLOW_EXECUTION_STARTED', {
  workflowType: { name: 'uploadLibraryItem' },
  taskQueue: { name: 'q' },
});
const phase = (p: string) =>
  event('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', { searchAttributes: { indexedFields: { CloPhase: json(p) } } });
const update = (name: string) =>
  event('WORKFLOW_EXECUTION_UPDATE_ACCEPTED', { acceptedRequest: { input: { name } } });
const failedWith = (type: string) =>
  event('WORKFLOW_EXECUTION_FAILED', {
    failure: { message: 'x', cause: { applicationFailureInfo: { type } } },
  });
const localActivity = (type: string) =>
  event('MARKER_RECORDED', {
    markerName: 'core_local_activity',
    details: { data: { payloads: [json({ activity_type: type })] } },
  });
const completed = event('WORKFLOW_EXECUTION_COMPLETED');

const scenarios = (...events: JsonEvent[]) => classifyHistory({ events: [started, ...events] }).scenarios;

describe('classifyHistory', () => {
  it('marks a certificate held for a person: the awaiting-approval phase, the approve or reject Update, the timeout', () => {
    expect(
      scenarios(
        localActivity('getUpdateSessionPreview'),
        phase('awaiting-approval'),
        update('approve'),
        completed,
      ),
    ).toEqual(['happy-path', 'certificate-review', 'approval', 'approved']);
    expect(
      scenarios(
        phase('awaiting-approval'),
        update('reject'),
        phase('compensating'),
        failedWith('ApprovalRejected'),
      ),
    ).toEqual(['compensation', 'failed', 'approval', 'rejected']);
    expect(scenarios(phase('awaiting-approval'), failedWith('ApprovalTimedOut'))).toEqual([
      'failed',
      'approval',
      'approval-timeout',
    ]);
    // An Update on another name (or none: a validator's refusal records no event) is no decision.
    expect(scenarios(update('other'), completed)).toEqual(['happy-path']);
  });

  it('marks the permit wait, the outage and the host that never came back by phase and failure type', () => {
    expect(scenarios(phase('waiting-for-permit'), phase('waiting-for-vcenter'), completed)).toEqual([
      'happy-path',
      'permit-wait',
      'vcenter-outage',
    ]);
    expect(scenarios(failedWith('HostUnavailable'))).toEqual([
      'failed',
      'input-rejected',
      'host-unavailable',
    ]);
  });

  it('marks a lease that ended the work only when the failed activity is holdSession', () => {
    const scheduled = (name: string) => event('ACTIVITY_TASK_SCHEDULED', { activityType: { name } });
    const lease = scheduled('holdSession');
    const push = scheduled('pushFile');
    const failed = (s: JsonEvent) => event('ACTIVITY_TASK_FAILED', { scheduledEventId: s.eventId });
    expect(scenarios(lease, push, failed(lease), completed)).toContain('lease-lost');
    expect(scenarios(lease, push, failed(push), completed)).not.toContain('lease-lost');
  });
});
