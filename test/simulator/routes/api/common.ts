/** What the /api route files share: the flavour tag and the client token's two places. */
import type { RequestContext } from '../../context';
import { fail } from '../../errors';

export const A = { flavour: 'api' } as const;

/**
 * CLIENT_TOKEN_API: the 8.0.2 creates take `client_token` as a query parameter
 * (content-library.json: `{"in": "query", "name": "client_token"}`); later documentation sends it as a
 * `Client-Token` header. Both are accepted; the two disagreeing is invalid_argument.
 */
export function clientToken(ctx: RequestContext): string | undefined {
  const query = ctx.query.get('client_token') ?? undefined;
  const raw = ctx.req.headers['client-token'];
  const header = Array.isArray(raw) ? raw[0] : raw;
  if (query !== undefined && header !== undefined && query !== header)
    fail(
      'invalid_argument',
      'CLIENT_TOKEN_API',
      `client_token query parameter ${query} and Client-Token header ${header} differ; send one`,
      [query, header],
    );
  return query ?? header;
}
