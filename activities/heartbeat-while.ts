/**
 * Heartbeats while a single slow call is in flight (validate, complete). Without it,
 * a worker killed during that call is noticed only at the activity's start-to-close
 * timeout; with it, at the heartbeat timeout, and a cancellation arrives too.
 */
import { heartbeat } from '@temporalio/activity';

export async function heartbeatWhile<T>(call: () => Promise<T>, everyMs = 1000): Promise<T> {
  heartbeat();
  const timer = setInterval(() => heartbeat(), everyMs);
  try {
    return await call();
  } finally {
    clearInterval(timer);
  }
}
