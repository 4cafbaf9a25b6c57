/**
 * cis session: login with Basic auth, current session, logout. One login store for both flavours: a
 * token from `POST /api/session` works on /rest and the other way round, as on vCenter.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SimContext } from '../context';
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

/** Logs in with the request's Basic credentials; returns the new token (401 unauthenticated otherwise). */
export function login(sim: SimContext, req: IncomingMessage): string {
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
  return token;
}

/** The current session (CisSessionInfo in session.json: user, created_time, last_accessed_time). */
export function sessionInfo(login: Login | undefined): unknown {
  if (!login) return fail('unauthenticated', 'AUTH_REQUIRED', 'not logged in');
  return {
    user: login.user,
    created_time: isoTime(login.created),
    last_accessed_time: isoTime(login.lastAccessed),
  };
}

export function logout(sim: SimContext, login: Login | undefined): undefined {
  if (login) sim.store.logins.delete(login.token);
  return undefined;
}
