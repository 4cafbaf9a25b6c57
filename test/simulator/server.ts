/**
 * Request dispatch: control API, routing, call counting, authentication, injected latency and
 * failures, then the handler; vAPI errors become their wire bodies here.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext, Route, SimContext } from './context';
import { HANDLED } from './context';
import { VapiError, fail, message } from './errors';
import { handleControl } from './routes/control';
import { downloadSessionRoutes } from './routes/download-session';
import { itemRoutes } from './routes/item';
import { libraryRoutes } from './routes/library';
import { authenticate, sessionRoutes } from './routes/session';
import { resetSocket, transferRoutes } from './routes/transfer';
import { updateSessionRoutes } from './routes/update-session';
import { readJson, sendEmpty, sendError, sendValue } from './wire';

export const ROUTES: Route[] = [
  ...sessionRoutes,
  ...libraryRoutes,
  ...itemRoutes,
  ...updateSessionRoutes,
  ...downloadSessionRoutes,
  ...transferRoutes,
];

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return fail('invalid_argument', 'GENERAL', `malformed path segment ${segment}`);
  }
}

interface Match {
  route: Route;
  params: string[];
}

/** Finds the route for method + path + `~action`; a known path with the wrong method/action is operation_not_found. */
export function matchRoute(method: string, pathname: string, action: string | null): Match {
  let pathKnown = false;
  for (const route of ROUTES) {
    const m = route.path.exec(pathname);
    if (!m) continue;
    pathKnown = true;
    const actionOk =
      route.action === null
        ? action === null || action === 'create' || action === ''
        : route.action === action;
    if (route.method !== method || !actionOk) continue;
    return { route, params: m.slice(1).map((p) => safeDecode(p ?? '')) };
  }
  const what = `${method} ${pathname}${action ? `?~action=${action}` : ''}`;
  return fail(
    'operation_not_found',
    'GENERAL',
    pathKnown ? `operation ${what} is not supported on this resource` : `no such resource: ${what}`,
  );
}

function isVapiError(err: unknown): err is VapiError {
  return err instanceof VapiError || (err instanceof Error && err.name === 'VapiError');
}

async function handleRest(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  try {
    // US_EXPIRY / DS_EXPIRY: expiry is applied lazily before every request (plus a sweep timer).
    sim.store.sweep();
    const { route, params } = matchRoute(req.method ?? 'GET', url.pathname, url.searchParams.get('~action'));
    sim.stats.countCall(route.op);
    const login = route.auth === false ? undefined : authenticate(sim, req);
    const delay = sim.faults.takeLatency(route.op);
    if (delay > 0) {
      await sleep(delay);
      if (res.destroyed) return;
      sim.store.sweep();
    }
    const injected = sim.faults.takeFailure(route.op);
    if (injected) {
      if (injected.dropConnection) {
        resetSocket(req.socket);
        return;
      }
      throw new VapiError(
        injected.kind,
        [message('clsim.FAULT', injected.message, [route.op])],
        injected.status,
      );
    }
    let body: Promise<unknown> | undefined;
    const ctx: RequestContext = {
      sim,
      req,
      res,
      params,
      query: url.searchParams,
      login,
      body: () => (body ??= readJson(req)),
    };
    const result = await route.handler(ctx);
    if (result === HANDLED) return;
    if (result === undefined) sendEmpty(res);
    else sendValue(res, result);
  } catch (err) {
    if (isVapiError(err)) {
      sendError(
        res,
        err,
        err.kind === 'unauthenticated' ? { 'WWW-Authenticate': 'Basic realm="VAPI endpoint"' } : {},
      );
      return;
    }
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    sendError(
      res,
      new VapiError('internal_server_error', [message('clsim.GENERAL', `simulator bug: ${text}`)]),
    );
  }
}

/** The node:http request listener serving the simulator. */
export function createListener(sim: SimContext): RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname.startsWith('/__sim/')) {
      void handleControl(sim, req, res, url.pathname);
      return;
    }
    sim.stats.requestStarted();
    res.once('close', () => sim.stats.requestEnded());
    void handleRest(sim, req, res, url);
  };
}
