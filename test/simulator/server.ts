/**
 * Request dispatch: control API, routing (/rest or /api by path), call counting, authentication,
 * injected latency and failures, then the handler; results and vAPI errors become the wire bodies of
 * the request's flavour here.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Flavour, RequestContext, Route, SimContext } from './context';
import { HANDLED } from './context';
import { BASIC_CHALLENGE, VapiError, fail, message } from './errors';
import { apiRoutes } from './routes/api';
import { handleControl } from './routes/control';
import { restRoutes } from './routes/rest';
import { authenticate } from './model/session';
import { resetSocket, transferRoutes } from './routes/transfer';
import { readJson, sendError, sendResult } from './wire';

/** Every route of both flavours; each maps its wire format onto the same model operations (model/). */
export const ROUTES: Route[] = [...restRoutes, ...apiRoutes, ...transferRoutes];

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

/** /api paths are the vSphere 8 API; everything else (including the data path) is /rest. */
export function flavourOf(pathname: string): Flavour {
  return pathname === '/api' || pathname.startsWith('/api/') ? 'api' : 'rest';
}

/**
 * Finds the route for method + path + action (`~action` on /rest, `action` on /api) + the query
 * parameter that tells an /api `get` from a `list`; a known path with the wrong method/action is
 * operation_not_found.
 */
export function matchRoute(method: string, url: URL): Match {
  const flavour = flavourOf(url.pathname);
  const action = url.searchParams.get(flavour === 'api' ? 'action' : '~action');
  let pathKnown = false;
  for (const route of ROUTES) {
    if (route.flavour !== flavour) continue;
    const m = route.path.exec(url.pathname);
    if (!m) continue;
    pathKnown = true;
    const actionOk =
      route.action === null
        ? action === null || (flavour === 'rest' && (action === 'create' || action === ''))
        : route.action === action;
    if (route.method !== method || !actionOk) continue;
    if (route.query !== undefined && !url.searchParams.has(route.query)) continue;
    return { route, params: m.slice(1).map((p) => safeDecode(p ?? '')) };
  }
  const actionParam = flavour === 'api' ? 'action' : '~action';
  const what = `${method} ${url.pathname}${action ? `?${actionParam}=${action}` : ''}`;
  return fail(
    'operation_not_found',
    'GENERAL',
    pathKnown ? `operation ${what} is not supported on this resource` : `no such resource: ${what}`,
  );
}

function isVapiError(err: unknown): err is VapiError {
  return err instanceof VapiError || (err instanceof Error && err.name === 'VapiError');
}

async function handleRequest(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const flavour = flavourOf(url.pathname);
  try {
    // US_EXPIRY / DS_EXPIRY: expiry is applied lazily before every request (plus a sweep timer).
    sim.store.sweep();
    const { route, params } = matchRoute(req.method ?? 'GET', url);
    sim.stats.countCall(route.op);
    if (!transferRoutes.includes(route)) sim.stats.countFlavour(flavour);
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
      flavour,
      req,
      res,
      params,
      query: url.searchParams,
      login,
      body: () => (body ??= readJson(req)),
    };
    const result = await route.handler(ctx);
    if (result === HANDLED) return;
    const held = sim.faults.takeLatency(route.op, true);
    if (held > 0) {
      await sleep(held);
      if (res.destroyed) return;
    }
    sendResult(res, flavour, result, route.created);
  } catch (err) {
    if (isVapiError(err)) {
      sendError(
        res,
        err,
        err.kind === 'unauthenticated' ? { 'WWW-Authenticate': BASIC_CHALLENGE } : {},
        flavour,
      );
      return;
    }
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    sendError(
      res,
      new VapiError('internal_server_error', [message('clsim.GENERAL', `simulator bug: ${text}`)]),
      {},
      flavour,
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
    void handleRequest(sim, req, res, url);
  };
}
