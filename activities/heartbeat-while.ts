/**
 * Heartbeats on a timer, whatever the bytes do. A heartbeat says the worker running the
 * attempt is alive; a stalled server is the transfer idle timeout's business. Beating only
 * when bytes move would time out an attempt whose PUT waits 30 s on TCP back-pressure, or
 * on the server's answer after the last byte, and start a second one while the first still runs.
 */
import { heartbeat } from '@temporalio/activity';

/** A running heartbeat timer, from {@link heartbeatEvery}. */
export interface Heartbeats {
  /** Heartbeats now, without waiting for the next tick (details that must not be lost, such as a session id). */
  beat(): void;
  /** Stops the timer; call it in `finally`. */
  stop(): void;
}

/**
 * Heartbeats `details()` now and every `everyMs` until stopped. `details` is read at each
 * beat, so progress reported through it is at most `everyMs` old.
 */
export function heartbeatEvery(details: () => unknown = () => undefined, everyMs = 1000): Heartbeats {
  const beat = (): void => heartbeat(details());
  beat();
  const timer = setInterval(beat, everyMs);
  return { beat, stop: () => clearInterval(timer) };
}

/**
 * Heartbeats while a single slow call is in flight (validate, complete). Without it,
 * a worker killed during that call is noticed only at the activity's start-to-close
 * timeout; with it, at the heartbeat timeout, and a cancellation arrives too.
 */
export async function heartbeatWhile<T>(call: () => Promise<T>, everyMs = 1000): Promise<T> {
  const beats = heartbeatEvery(undefined, everyMs);
  try {
    return await call();
  } finally {
    beats.stop();
  }
}
