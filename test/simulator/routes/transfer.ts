/**
 * The data path `/rest/com/vmware/cis/data/<transfer id>/<file name>` (as vcsim serves it):
 * PUT streams a PUSH file to disk (constant memory, hashed on the fly), GET/HEAD stream a prepared
 * download file, honouring single `Range: bytes=` requests.
 */
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext, Route } from '../context';
import { HANDLED, pathPattern } from '../context';
import { VapiError, fail, message } from '../errors';
import { Meter, verifyReceived } from '../receive';
import type { DownloadFile } from '../state';

/** Write-buffer size of a received file. */
const RECEIVE_BUFFER = 1024 * 1024;
import { sendEmpty, sendError } from '../wire';

/** Sends a TCP RST where the platform allows it, so the peer sees a reset rather than a clean close. */
export function resetSocket(socket: Socket | null | undefined): void {
  if (!socket || socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Passes a PUT body on at no more than `rate` bytes per second (the limit-rate fault, direction put). */
function paceAt(rate: number) {
  return async function* (body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const from = Date.now();
    let bytes = 0;
    for await (const chunk of body) {
      bytes += chunk.length;
      const wait = from + (bytes / rate) * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      yield chunk;
    }
  };
}

async function put(ctx: RequestContext): Promise<typeof HANDLED> {
  const { sim, req, res } = ctx;
  const t = sim.store.transfers.get(ctx.params[0] ?? '');
  if (!t)
    return fail(
      'not_found',
      'FILE_ADD_REPLACES',
      'no upload is expected at this URL (unknown, replaced or ended)',
    );
  const { session, file } = t;
  // FILE_ADD_ACTIVE (001): files are uploaded while the session is ACTIVE.
  if (session.state !== 'ACTIVE' || session.completing || file.discarded)
    fail(
      'not_allowed_in_current_state',
      'FILE_ADD_ACTIVE',
      `update session ${session.id} is ${session.state}; uploads are closed`,
      [session.id, session.state],
    );
  if (file.status === 'TRANSFERRING')
    fail('resource_busy', 'TRANSFER_STATUS', `${file.name} is already being transferred`, [file.name]);
  // Decision (TRANSFER_STATUS): no resumable PUT; a client must re-send the whole file.
  if (req.headers['content-range'] !== undefined)
    fail(
      'invalid_argument',
      'TRANSFER_STATUS',
      'Content-Range uploads are not supported; PUT the whole file',
    );

  // TRANSFER_STATUS (001): TRANSFERRING "Indicates that data is being transferred to the file."
  file.status = 'TRANSFERRING';
  file.bytes_transferred = 0;
  file.error_message = undefined;
  file.received = undefined;
  sim.store.touch(session);
  const cutAt = sim.faults.takeReset('put', file.name);
  const meter = new Meter({
    algorithm: file.checksum_info?.algorithm,
    cutAt,
    onCut: () => resetSocket(req.socket),
    onBytes: (n) => {
      sim.stats.addReceived(session.id, n);
      if (file.discarded) return;
      file.bytes_transferred += n;
      // US_EXPIRY: bytes flowing on a PUT are activity, so one long transfer keeps its session alive.
      sim.store.touch(session);
    },
  });
  file.abort = () => resetSocket(req.socket);
  try {
    // 1 MiB buffers: with the default 16 KiB every network chunk waited for its own write (bench:ovf).
    const out = fs.createWriteStream(file.tempPath, { highWaterMark: RECEIVE_BUFFER });
    const rate = sim.faults.rateLimit(file.name, 'put');
    await (rate === undefined ? pipeline(req, meter, out) : pipeline(req, paceAt(rate), meter, out));
  } catch {
    file.abort = undefined;
    fs.rmSync(file.tempPath, { force: true });
    if (!file.discarded) {
      file.status = 'ERROR';
      file.error_message = message(
        'clsim.TRANSFER_STATUS',
        `transfer of ${file.name} was interrupted after ${meter.bytes} bytes`,
        [file.name, String(meter.bytes)],
      );
    }
    resetSocket(req.socket);
    return HANDLED;
  }
  file.abort = undefined;
  if (file.discarded) {
    // The session was canceled, failed or expired while the last bytes arrived.
    fs.rmSync(file.tempPath, { force: true });
    return fail(
      'not_allowed_in_current_state',
      'US_CANCEL_DISCARDS',
      `update session ${session.id} is ${session.state}; the upload was discarded`,
      [session.id],
    );
  }
  const digests = meter.digests();
  const err = verifyReceived(file, meter.bytes, digests);
  if (err) {
    file.status = 'ERROR';
    file.error_message = err;
    fs.rmSync(file.tempPath, { force: true });
    throw new VapiError('invalid_argument', [err]);
  }
  // TRANSFER_STATUS (001): READY "Indicates that the file has been fully transferred and is ready to be used."
  file.status = 'READY';
  file.received = { size: meter.bytes, sha1: digests.sha1 };
  sim.store.touch(session);
  sendEmpty(res);
  return HANDLED;
}

type Range = { start: number; end: number } | 'unsatisfiable' | undefined;

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else is ignored (whole file, 200). */
export function parseRange(header: string | undefined, size: number): Range {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  if (b !== '' && Number(b) < start) return undefined;
  return { start, end: b === '' ? size - 1 : Math.min(Number(b), size - 1) };
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function writeFlushed(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.write(chunk, () => resolve());
  });
}

/** Records bytes served; DS_CHECKSUM_AFTER_DOWNLOAD: once they cover the file, the download is complete. */
function recordServed(file: DownloadFile, start: number, end: number): void {
  if (end > start) file.served.push([start, end]);
  file.served.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of file.served) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  file.served = merged;
  const first = merged[0];
  if (file.blob.size === 0 || (merged.length === 1 && first && first[0] === 0 && first[1] >= file.blob.size))
    file.complete = true;
}

async function get(ctx: RequestContext): Promise<typeof HANDLED> {
  const { sim, req, res } = ctx;
  const [sessionId = '', name = ''] = ctx.params;
  const session = sim.store.downloadSessions.get(sessionId);
  if (!session)
    return fail('not_found', 'SESSION_NOT_FOUND', `download session ${sessionId} does not exist`, [
      sessionId,
    ]);
  // DS_CANCEL (001): cancel/fail "invalidate transfer urls that the client may be downloading from".
  if (session.state !== 'ACTIVE')
    fail(
      'not_found',
      'DS_CANCEL',
      `download session ${session.id} is ${session.state}; its URLs are no longer valid`,
      [session.id],
    );
  const file = session.files.get(name);
  if (!file)
    return fail('not_found', 'DS_UNKNOWN_FILE', `download session ${sessionId} has no file ${name}`, [name]);
  // DS_PREPARE_REQUIRED (000): the file must reach PREPARED before it can be downloaded.
  if (file.status !== 'PREPARED')
    fail(
      'not_allowed_in_current_state',
      'DS_PREPARE_REQUIRED',
      `${file.name} is ${file.status}, not PREPARED`,
      [file.name, file.status],
    );

  const size = file.blob.size;
  const rangeOn = !sim.faults.rangeDisabled();
  const range = rangeOn ? parseRange(req.headers.range, size) : undefined;
  if (range === 'unsatisfiable') {
    res.writeHead(416, {
      'Content-Range': `bytes */${size}`,
      'Accept-Ranges': 'bytes',
      'Content-Length': '0',
    });
    res.end();
    return HANDLED;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1; // inclusive
  const length = Math.max(0, end - start + 1);
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(length),
  };
  if (rangeOn) headers['Accept-Ranges'] = 'bytes';
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  sim.store.touch(session);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    if (req.method !== 'HEAD') recordServed(file, 0, 0);
    return HANDLED;
  }

  const cutAt = sim.faults.takeReset('get', file.name);
  const stream = fs.createReadStream(file.blob.path, { start, end, highWaterMark: 64 * 1024 });
  let sent = 0;
  let stopped = false;
  const abort = (): void => {
    stopped = true;
    resetSocket(res.socket);
    stream.destroy();
  };
  session.transfers.add(abort);
  const account = (n: number): void => {
    // Recorded as the bytes go out: the client may have the whole body before this loop sees EOF.
    recordServed(file, start + sent, start + sent + n);
    sent += n;
    file.bytes_transferred += n;
    sim.stats.addSent(session.id, n);
    // DS_EXPIRY: bytes flowing on a GET are download activity.
    sim.store.touch(session);
  };
  // Pacing for the limit-rate fault, re-read every 100 ms at most so a test can change or clear it
  // mid-body (a rate of 1 byte/s pauses the transfer).
  let pace: { rate: number; from: number; bytes: number } | undefined;
  const paced = async (n: number): Promise<void> => {
    for (;;) {
      const rate = sim.faults.rateLimit(file.name);
      if (rate === undefined || stopped || res.destroyed) return void (pace = undefined);
      if (pace?.rate !== rate) pace = { rate, from: Date.now(), bytes: 0 };
      const wait = pace.from + ((pace.bytes + n) / rate) * 1000 - Date.now();
      if (wait <= 0) {
        pace.bytes += n;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 100)));
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (stopped || res.destroyed) break;
      // A chunk goes out once the rate allows all of it.
      await paced(chunk.length);
      if (stopped || res.destroyed) break;
      if (cutAt !== undefined && sent + chunk.length >= cutAt) {
        const part = chunk.subarray(0, cutAt - sent);
        // Let exactly cutAt bytes reach the socket, then close it under the client mid-body.
        if (part.length > 0) await writeFlushed(res, part);
        account(part.length);
        stopped = true;
        res.socket?.destroy();
        break;
      }
      const ok = res.write(chunk);
      account(chunk.length);
      if (!ok) await waitDrain(res);
    }
    if (!stopped && !res.destroyed) res.end();
  } catch {
    res.socket?.destroy();
  } finally {
    session.transfers.delete(abort);
    stream.destroy();
  }
  return HANDLED;
}

/** Transfer errors go out as vAPI bodies; the connection is closed so a large unread body is not drained. */
async function guarded(
  ctx: RequestContext,
  run: (ctx: RequestContext) => Promise<typeof HANDLED>,
): Promise<typeof HANDLED> {
  try {
    return await run(ctx);
  } catch (err) {
    if (err instanceof VapiError) {
      sendError(ctx.res, err, { Connection: 'close' });
      return HANDLED;
    }
    throw err;
  }
}

// The data path is the same for both flavours: the model hands out these URLs as upload and download endpoints.
const data = pathPattern('/cis/data/{seg}/{seg}');
export const transferRoutes: Route[] = [
  {
    flavour: 'rest',
    method: 'PUT',
    path: data,
    action: null,
    op: 'transfer.put',
    handler: (ctx) => guarded(ctx, put),
  },
  {
    flavour: 'rest',
    method: 'GET',
    path: data,
    action: null,
    op: 'transfer.get',
    handler: (ctx) => guarded(ctx, get),
  },
  {
    flavour: 'rest',
    method: 'HEAD',
    path: data,
    action: null,
    op: 'transfer.get',
    handler: (ctx) => guarded(ctx, get),
  },
];
