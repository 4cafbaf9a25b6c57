/**
 * The HTTP control API under /__sim/ (no login), so tests in other processes can drive faults and
 * read stats. Bodies and answers are plain JSON (not vAPI-wrapped).
 *
 *   GET    /__sim/info                         url, datastore, thumbprint, dataDir, timeouts
 *   PUT    /__sim/config                       {sessionIdleTimeoutMs?, prepareDelayMs?,
 *                                              trustedCertificates? (PEM list: signers previews trust)}
 *   GET    /__sim/stats                        StatsSnapshot
 *   POST   /__sim/stats/reset
 *   GET    /__sim/faults                       registered faults
 *   DELETE /__sim/faults[/<id>]                clear all / one
 *   POST   /__sim/faults/<kind>                kind: reset-transfer | fail | latency | fail-prepare |
 *                                              corrupt-checksum | hostile-file-name | disable-range |
 *                                              limit-rate | preview-warnings  -> {id}
 *   POST   /__sim/expire-session               {session_id}
 *   POST   /__sim/invalidate-logins
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SimContext } from '../context';
import type { FaultHandle } from '../faults';
import { readJson, sendJson } from '../wire';

const Config = z.object({
  sessionIdleTimeoutMs: z.number().int().positive().optional(),
  prepareDelayMs: z.number().int().nonnegative().optional(),
  trustedCertificates: z.array(z.string()).optional(),
});
const Expire = z.object({ session_id: z.string() });

const FAULTS: Record<string, (sim: SimContext, body: never) => FaultHandle> = {
  'reset-transfer': (sim, body) => sim.faults.resetTransfer(body),
  fail: (sim, body) => sim.faults.failNext(body),
  latency: (sim, body) => sim.faults.addLatency(body),
  'fail-prepare': (sim, body) => sim.faults.failPrepare(body),
  'corrupt-checksum': (sim, body) => sim.faults.corruptChecksum(body),
  'hostile-file-name': (sim, body) => sim.faults.hostileFileName(body),
  'disable-range': (sim) => sim.faults.disableRange(),
  'limit-rate': (sim, body) => sim.faults.limitRate(body),
  'preview-warnings': (sim, body) => sim.faults.previewWarnings(body),
};

export function controlInfo(sim: SimContext): Record<string, unknown> {
  return {
    url: sim.url,
    datastore: sim.datastoreId,
    thumbprint: sim.thumbprint,
    dataDir: sim.store.opts.dataDir,
    sessionIdleTimeoutMs: sim.store.opts.idleTimeoutMs,
    prepareDelayMs: sim.prepareDelayMs,
  };
}

async function route(sim: SimContext, req: IncomingMessage, path: string): Promise<[number, unknown]> {
  const method = req.method ?? 'GET';
  const body = method === 'POST' || method === 'PUT' ? await readJson(req) : {};
  if (method === 'GET' && path === '/__sim/info') return [200, controlInfo(sim)];
  if (method === 'PUT' && path === '/__sim/config') {
    const c = Config.parse(body);
    if (c.sessionIdleTimeoutMs !== undefined) sim.store.opts.idleTimeoutMs = c.sessionIdleTimeoutMs;
    if (c.prepareDelayMs !== undefined) sim.prepareDelayMs = c.prepareDelayMs;
    if (c.trustedCertificates !== undefined)
      sim.trustedCertificates = c.trustedCertificates.map((pem) => new X509Certificate(pem));
    return [200, controlInfo(sim)];
  }
  if (method === 'GET' && path === '/__sim/stats') return [200, sim.stats.snapshot()];
  if (method === 'POST' && path === '/__sim/stats/reset') {
    sim.stats.reset();
    return [200, {}];
  }
  if (method === 'GET' && path === '/__sim/faults') return [200, sim.faults.list()];
  if (method === 'DELETE' && path.startsWith('/__sim/faults')) {
    const id = path.slice('/__sim/faults/'.length);
    sim.faults.clear(id === '' ? undefined : decodeURIComponent(id));
    return [200, {}];
  }
  if (method === 'POST' && path.startsWith('/__sim/faults/')) {
    const add = FAULTS[path.slice('/__sim/faults/'.length)];
    if (!add) return [404, { error: `unknown fault ${path}; known: ${Object.keys(FAULTS).join(', ')}` }];
    const handle = add(sim, body as never);
    return [200, { id: handle.id }];
  }
  if (method === 'POST' && path === '/__sim/expire-session') {
    sim.faults.expireSession(Expire.parse(body).session_id);
    return [200, {}];
  }
  if (method === 'POST' && path === '/__sim/invalidate-logins') {
    sim.faults.invalidateLogins();
    return [200, {}];
  }
  return [404, { error: `no control endpoint ${method} ${path}` }];
}

export async function handleControl(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  try {
    const [status, body] = await route(sim, req, path);
    sendJson(res, status, body);
  } catch (err) {
    const text =
      err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
    sendJson(res, 400, { error: text });
  }
}
