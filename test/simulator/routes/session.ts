/** cis session: login with Basic auth, current session, logout. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestContext, Route, SimContext } from '../context';
import { pathPattern } from '../context';
import { fail } from '../errors';
import type { Login } from '../state';
import { isoTime } from '../wire';

export const SESSION_HEADER = 'vmware-api-session-id';

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}

/** The login token a request carries (header, else the cookie vcsim also sets). */
export function requestToken(req: IncomingMessage): string | undefined {
  const header = req.headers[SESSION_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === SESSION_HEADER && v) return v;
  }
  return undefined;
}

/**
 * AUTH_REQUIRED (vcsim-notes.md): "send it as the `vmware-api-session-id` header on every later
 * call, including the PUT and GET on transfer URLs."
 */
export function authenticate(sim: SimContext, req: IncomingMessage): Login {
  const token = requestToken(req);
  const login = token === undefined ? undefined : sim.store.logins.get(token);
  if (!login)
    return fail(
      'unauthenticated',
      'AUTH_REQUIRED',
      token === undefined
        ? 'missing vmware-api-session-id'
        : 'session token is not valid (logged out or invalidated)',
    );
  login.lastAccessed = sim.store.now();
  return login;
}

function create(ctx: RequestContext): string {
  const { sim, req, res } = ctx;
  const creds = basicCredentials(req);
  const ok =
    creds !== undefined &&
    (sim.username === undefined
      ? creds.user !== '' && creds.password !== ''
      : sameText(creds.user, sim.username) && sameText(creds.password, sim.password ?? ''));
  if (!ok) fail('unauthenticated', 'AUTH_REQUIRED', 'invalid user name or password');
  const token = randomBytes(16).toString('hex');
  const now = sim.store.now();
  sim.store.logins.set(token, { token, user: creds.user, created: now, lastAccessed: now });
  // vcsim (and vCenter) also set the cookie unless the client asks for header-only authn.
  if (String(req.headers['vmware-use-header-authn']).toLowerCase() !== 'true')
    res.setHeader('Set-Cookie', `${SESSION_HEADER}=${token}; Path=/rest; HttpOnly`);
  return token;
}

function get(ctx: RequestContext): unknown {
  const login = ctx.login;
  if (!login) return fail('unauthenticated', 'AUTH_REQUIRED', 'not logged in');
  return {
    user: login.user,
    created_time: isoTime(login.created),
    last_accessed_time: isoTime(login.lastAccessed),
  };
}

function remove(ctx: RequestContext): undefined {
  if (ctx.login) ctx.sim.store.logins.delete(ctx.login.token);
  return undefined;
}

const path = pathPattern('/cis/session');
export const sessionRoutes: Route[] = [
  { method: 'POST', path, action: null, op: 'session.create', auth: false, handler: create },
  { method: 'POST', path, action: 'get', op: 'session.get', handler: get },
  { method: 'GET', path, action: null, op: 'session.get', handler: get },
  { method: 'DELETE', path, action: null, op: 'session.delete', handler: remove },
];
