/** /rest cis session: `POST /rest/com/vmware/cis/session` answers `{"value": token}` and sets the cookie. */
import type { RequestContext, Route } from '../../context';
import { pathPattern } from '../../context';
import { SESSION_HEADER, login, logout, sessionInfo } from '../../model/session';

function create(ctx: RequestContext): string {
  const token = login(ctx.sim, ctx.req);
  // vcsim (and vCenter) also set the cookie unless the client asks for header-only authn.
  if (String(ctx.req.headers['vmware-use-header-authn']).toLowerCase() !== 'true')
    ctx.res.setHeader('Set-Cookie', `${SESSION_HEADER}=${token}; Path=/rest; HttpOnly`);
  return token;
}

const path = pathPattern('/cis/session');
const get = (ctx: RequestContext): unknown => sessionInfo(ctx.login);
export const restSessionRoutes: Route[] = [
  { flavour: 'rest', method: 'POST', path, action: null, op: 'session.create', auth: false, handler: create },
  { flavour: 'rest', method: 'POST', path, action: 'get', op: 'session.get', handler: get },
  { flavour: 'rest', method: 'GET', path, action: null, op: 'session.get', handler: get },
  {
    flavour: 'rest',
    method: 'DELETE',
    path,
    action: null,
    op: 'session.delete',
    handler: (ctx) => logout(ctx.sim, ctx.login),
  },
];
