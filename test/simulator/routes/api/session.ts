/**
 * /api session (session.json): `POST /api/session` with Basic auth answers 201 with the token as a bare
 * JSON string ("Newly created session token"); `GET` answers CisSessionInfo; `DELETE` 204.
 */
import type { Route } from '../../context';
import { apiPattern } from '../../context';
import { login, logout, sessionInfo } from '../../model/session';
import { A } from './common';

const path = apiPattern('/session');
export const apiSessionRoutes: Route[] = [
  {
    ...A,
    method: 'POST',
    path,
    action: null,
    op: 'session.create',
    auth: false,
    created: true,
    handler: (ctx) => login(ctx.sim, ctx.req),
  },
  { ...A, method: 'GET', path, action: null, op: 'session.get', handler: (ctx) => sessionInfo(ctx.login) },
  {
    ...A,
    method: 'DELETE',
    path,
    action: null,
    op: 'session.delete',
    handler: (ctx) => logout(ctx.sim, ctx.login),
  },
];
