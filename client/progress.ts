/**
 * Follows a running saga in the terminal: a progress bar per file from the
 * `progress` query, with live bytes from the pending transfer activities' heartbeat
 * details, until the workflow ends. cli-progress draws the bars (and stays quiet when
 * stdout is not a terminal).
 */
import type { MultiBar, SingleBar } from 'cli-progress';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { progressQuery, type TransferProgress } from '../workflows/definitions/transfer';
import { vcenterCallCheck } from './vcenter-watch';
import { watchSaga } from './watch-loop';
import { workerCheck } from './worker-watch';

/** Live bytes per file name from the pending activities' last heartbeat. */
async function heartbeatBytes(handle: WorkflowHandle, client: Client): Promise<Map<string, number>> {
  const live = new Map<string, number>();
  const { raw } = await handle.describe();
  for (const pending of raw.pendingActivities ?? []) {
    const payload = pending.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const detail = client.options.loadedDataConverter.payloadConverter.fromPayload<
      { name?: string; bytesSent?: number } | undefined
    >(payload);
    if (detail?.name !== undefined && typeof detail.bytesSent === 'number')
      live.set(detail.name, detail.bytesSent);
  }
  return live;
}

async function newBars(): Promise<MultiBar> {
  const { MultiBar, Presets } = await import('cli-progress');
  return new MultiBar(
    { format: ' {bar} {percentage}% | {name} | {value}/{total} bytes | {phase}', hideCursor: true },
    Presets.shades_classic,
  );
}

export async function followProgress<T>(
  client: Client,
  handle: WorkflowHandle,
  opts: {
    quiet?: boolean;
    /** The command's vCenters by name (their URLs): what a saga retrying a call is probed against. */
    vcenters?: Record<string, { url: string }>;
  } = {},
): Promise<T> {
  const result = handle.result() as Promise<T>;
  let finished = false;
  result.then(
    () => (finished = true),
    () => (finished = true),
  );
  // Bars only on a terminal; scripts (--json, pipes) get just the result, and load no bar code.
  const show = !opts.quiet && Boolean(process.stderr.isTTY);
  const bars = show ? await newBars() : undefined;
  // With no worker to take its tasks, or a vCenter call retried through an outage, the saga would
  // wait in silence: said on stderr (above the bars, which redraw over plain writes), --json too.
  const warn = bars ? (line: string) => bars.log(`${line}\n`) : undefined;
  const watch = watchSaga(handle, [
    workerCheck(client, handle, warn),
    vcenterCallCheck(handle, opts.vcenters ?? {}, warn),
  ]);
  const byName = new Map<string, SingleBar>();
  let tick: NodeJS.Timeout | undefined;
  try {
    while (!finished && bars) {
      try {
        const progress: TransferProgress = await handle.query(progressQuery);
        const live = await heartbeatBytes(handle, client);
        for (const f of progress.files) {
          let bar = byName.get(f.name);
          if (!bar) {
            bar = bars.create(Math.max(f.size, 1), 0, { name: f.name, phase: progress.phase });
            byName.set(f.name, bar);
          }
          const bytes =
            f.state === 'done' || f.state === 'skipped' ? f.size : (live.get(f.name) ?? f.bytesSent);
          bar.update(bytes, { phase: progress.phase });
        }
      } catch {
        // The query can fail while the workflow is between tasks; the next tick tries again.
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => (tick = setTimeout(r, 1000)))]);
      // The result won the race: a pending tick would hold the process open for up to a second.
      clearTimeout(tick);
    }
    return await result;
  } finally {
    clearTimeout(tick);
    bars?.stop();
    watch.stop();
  }
}
