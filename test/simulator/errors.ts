/**
 * vAPI errors in both wire formats:
 * - /rest: `{"type":"com.vmware.vapi.std.errors.<kind>","value":{"messages":[...]}}` with the HTTP status
 *   the REST documentation gives each kind (seed 003 lists "404 not_found", "400 invalid_argument",
 *   "403 unauthorized"). vcsim answers not-found with a plain-text 404 instead; we always send the body.
 * - /api: `{"error_type":"<KIND>","messages":[...]}` (api-8.0.2 definitions `VapiStdErrors*`: `messages`
 *   required, `error_type` the `VapiStdErrorsErrorType` discriminator) with the status the 8.0.2 paths
 *   give each error definition (API_STATUS).
 */
import type { Flavour } from './context';
import type { RuleId } from './rules';

/** The vAPI standard error kinds the simulator can raise (com.vmware.vapi.std.errors.*). */
export const VAPI_ERROR_KINDS = [
  'already_exists',
  'canceled',
  'concurrent_change',
  'error',
  'internal_server_error',
  'invalid_argument',
  'invalid_element_type',
  'invalid_request',
  'not_allowed_in_current_state',
  'not_found',
  'operation_not_found',
  'resource_busy',
  'resource_in_use',
  'resource_inaccessible',
  'service_unavailable',
  'timed_out',
  'unable_to_allocate_resource',
  'unauthenticated',
  'unauthorized',
  'unexpected_input',
  'unsupported',
] as const;
export type VapiErrorKind = (typeof VAPI_ERROR_KINDS)[number];

/** A vAPI LocalizableMessage (`com.vmware.vapi.std.LocalizableMessage`). */
export interface LocalizableMessage {
  id: string;
  default_message: string;
  args: string[];
}

const STATUS: Partial<Record<VapiErrorKind, number>> = {
  not_found: 404,
  operation_not_found: 404,
  unauthenticated: 401,
  unauthorized: 403,
  service_unavailable: 503,
  internal_server_error: 500,
  timed_out: 504,
};

/**
 * The status every /api path of api-8.0.2 gives each error definition it names (the same for every
 * path: e.g. `VapiStdErrorsResourceBusy` is "500" on update-session create and local-library update,
 * `VapiStdErrorsConcurrentChange` "409"; session.json: ServiceUnavailable "503"). api-errors.test.ts
 * checks this table against the spec files. Kinds the spec never names fall back to the /rest table.
 */
export const API_STATUS: Partial<Record<VapiErrorKind, number>> = {
  already_exists: 400,
  concurrent_change: 409,
  error: 500,
  invalid_argument: 400,
  invalid_element_type: 400,
  not_allowed_in_current_state: 400,
  not_found: 404,
  resource_busy: 500,
  resource_inaccessible: 500,
  service_unavailable: 503,
  unauthenticated: 401,
  unauthorized: 403,
  unsupported: 400,
};

/** HTTP status for a vAPI error kind (/rest: 400 unless listed; /api: API_STATUS first). */
export function statusForKind(kind: VapiErrorKind, flavour: Flavour = 'rest'): number {
  return (flavour === 'api' ? API_STATUS[kind] : undefined) ?? STATUS[kind] ?? 400;
}

/** The error kind a bare HTTP status most plausibly stands for (used by fault injection). */
export function kindForStatus(status: number): VapiErrorKind {
  for (const [kind, s] of Object.entries(STATUS)) if (s === status) return kind as VapiErrorKind;
  return status >= 500 ? 'internal_server_error' : 'error';
}

/** Builds a LocalizableMessage; `id` names the simulator rule that fired when there is one. */
export function message(id: string, defaultMessage: string, args: string[] = []): LocalizableMessage {
  return { id, default_message: defaultMessage, args };
}

/** A vAPI error raised by a handler; the server turns it into the wire body of the request's flavour. */
export class VapiError extends Error {
  override readonly name = 'VapiError';
  constructor(
    readonly kind: VapiErrorKind,
    readonly messages: LocalizableMessage[],
    /** An explicit HTTP status (fault injection); otherwise the flavour's status for the kind. */
    readonly explicitStatus?: number,
  ) {
    super(messages.map((m) => m.default_message).join('; ') || kind);
  }

  status(flavour: Flavour = 'rest'): number {
    return this.explicitStatus ?? statusForKind(this.kind, flavour);
  }

  /** The JSON body the endpoints of `flavour` send for this error. */
  body(flavour: Flavour = 'rest'): unknown {
    if (flavour === 'api')
      return {
        error_type: this.kind.toUpperCase(),
        messages: this.messages,
        // VapiStdErrorsUnauthenticated.challenge: "may adhere to the WWW-Authenticate HTTP header specification".
        ...(this.kind === 'unauthenticated' ? { challenge: BASIC_CHALLENGE } : {}),
      };
    return { type: `com.vmware.vapi.std.errors.${this.kind}`, value: { messages: this.messages } };
  }
}

export const BASIC_CHALLENGE = 'Basic realm="VAPI endpoint"';

/** Raises `kind` with one message whose id is `clsim.<rule>` so tests can tell which rule fired. */
export function fail(
  kind: VapiErrorKind,
  rule: RuleId | 'GENERAL',
  text: string,
  args: string[] = [],
): never {
  throw new VapiError(kind, [message(`clsim.${rule}`, text, args)]);
}
