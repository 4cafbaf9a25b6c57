/** Request-body helpers the route files of both flavours share. */
import type { RequestContext } from '../context';
import { fail } from '../errors';

/** The JSON body as an object (an empty body is `{}`); anything else is invalid_argument. */
export async function bodyObject(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = await ctx.body();
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return fail('invalid_argument', 'GENERAL', 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A string field of a body; `required` ones must be present. */
export function stringField(body: Record<string, unknown>, name: string, required: true): string;
export function stringField(body: Record<string, unknown>, name: string): string | undefined;
export function stringField(
  body: Record<string, unknown>,
  name: string,
  required = false,
): string | undefined {
  const v = body[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string')
    return fail('invalid_argument', 'GENERAL', `${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** A handler that gets the body as an object. */
export const withBody =
  (run: (ctx: RequestContext, body: Record<string, unknown>) => unknown) =>
  async (ctx: RequestContext): Promise<unknown> =>
    run(ctx, await bodyObject(ctx));

/** The first path capture (the resource id). */
export function id(ctx: RequestContext): string {
  return ctx.params[0] ?? '';
}
