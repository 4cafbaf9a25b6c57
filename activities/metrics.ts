/**
 * clo's own metrics, recorded through the Temporal SDK's metric meter so they are
 * served by the same Prometheus endpoint as the SDK's (`clo worker --metrics ADDR`),
 * with the activity's tags (namespace, task queue, activity type) attached.
 * Callable only inside an activity.
 */
import { metricMeter } from '@temporalio/activity';

export type Direction = 'upload' | 'download';
export type SessionEvent = 'created' | 'completed' | 'failed' | 'canceled';

/** Counts bytes as they move, so the counter rises during a transfer, not only at its end. */
export function countBytes(direction: Direction, bytes: number): void {
  if (bytes > 0)
    metricMeter
      .createCounter(
        `clo_bytes_${direction}ed`,
        'By',
        `Bytes ${direction}ed to or from Content Library endpoints`,
      )
      .add(bytes);
}

/** Counts a session lifecycle event, by kind (update or download). */
export function countSession(kind: 'update' | 'download', event: SessionEvent): void {
  metricMeter
    .createCounter('clo_sessions', '1', 'Content Library sessions by kind and event')
    .add(1, { kind, event });
}

/** Records one finished transfer's throughput. */
export function recordThroughput(direction: Direction, bytes: number, seconds: number): void {
  if (seconds <= 0 || bytes <= 0) return;
  metricMeter
    .createHistogram('clo_transfer_throughput', 'float', 'By/s', 'Throughput of finished file transfers')
    .record(bytes / seconds, { direction });
}

/** A progress callback that feeds {@link countBytes} with the bytes moved since its last call. */
export function byteCounter(direction: Direction): (total: number) => void {
  let counted = 0;
  return (total) => {
    countBytes(direction, total - counted);
    counted = total;
  };
}
