/**
 * retryingCall (client/vcenter-watch.ts) reads "a call to vCenter is being retried" from the
 * end of a history. The stack test (test/cli/wait-vcenter-down.test.ts) shows it on a real
 * refused vCenter; these are the shapes it must not take for one: a saga sleeping between
 * polls, waiting for a signal, or past a call that succeeded after failing.
 */
import { temporal } from '@temporalio/proto';
import { retryingCall } from '../../client/vcenter-watch';

const { EventType } = temporal.api.enums.v1;
type Event = temporal.api.history.v1.IHistoryEvent;

let clock = 1_000;
const at = (type: temporal.api.enums.v1.EventType, extra: Partial<Event> = {}): Event => ({
  eventType: type,
  eventTime: { seconds: clock++, nanos: 0 } as unknown as Event['eventTime'],
  ...extra,
});
const task = (): Event[] => [
  at(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
  at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
  at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
];
const marker = (failure?: temporal.api.failure.v1.IFailure): Event =>
  at(EventType.EVENT_TYPE_MARKER_RECORDED, {
    markerRecordedEventAttributes: { markerName: 'core_local_activity', ...(failure ? { failure } : {}) },
  });
const timer = () => at(EventType.EVENT_TYPE_TIMER_STARTED);
const start = () => [at(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED), ...task()];

describe('retryingCall', () => {
  it('finds a failed attempt and its backoff, with the latest error, from the streak’s start', () => {
    const events = [
      ...start(),
      at(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
      ...task(),
      marker({ message: 'connect ECONNREFUSED (first)' }),
      timer(),
      at(EventType.EVENT_TYPE_TIMER_FIRED),
      ...task(),
      marker({ message: 'connect ECONNREFUSED (latest)' }),
      timer(),
    ];
    const streakStart = Number(events[5]!.eventTime!.seconds) * 1000;
    expect(retryingCall(events)).toEqual({ since: streakStart, lastError: 'connect ECONNREFUSED (latest)' });
  });

  it('finds an attempt running past two held task completions, with no error to show yet', () => {
    const events = [
      ...start(),
      at(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
      ...task(),
      ...task(),
    ];
    expect(retryingCall(events)).toEqual({ since: Number(events[5]!.eventTime!.seconds) * 1000 });
  });

  it('leaves out an error the codec sealed', () => {
    const sealed = { message: 'Encoded failure', encodedAttributes: { data: new Uint8Array([1]) } };
    expect(retryingCall([...start(), marker(sealed), timer()])).not.toHaveProperty('lastError');
  });

  it('sees nothing in a sleep after a call that succeeded, a signal wait, or a call that succeeded after failing', () => {
    expect(retryingCall([...start(), marker(), timer()])).toBeUndefined();
    expect(retryingCall([...start(), timer(), ...task()])).toBeUndefined();
    expect(
      retryingCall([...start(), marker({ message: 'refused' }), timer(), ...task(), marker()]),
    ).toBeUndefined();
    expect(retryingCall(start())).toBeUndefined();
    // A loop of timers (a poll every few seconds) holds task completions, but never back to back.
    const loop = [...start(), timer(), at(EventType.EVENT_TYPE_TIMER_FIRED), ...task(), timer()];
    expect(retryingCall([...loop, at(EventType.EVENT_TYPE_TIMER_FIRED), ...task()])).toBeUndefined();
  });
});
