/**
 * vAPI errors as the /rest endpoints report them:
 * `{"type":"com.vmware.vapi.std.errors.<kind>","value":{"messages":[...]}}` with the HTTP status the
 * REST documentation gives each kind (seed 003 lists "404 not_found", "400 invalid_argument",
 * "403 unauthorized"). vcsim answers not-found with a plain-text 404 instead; we always send the body.
 */
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

/** HTTP status for a vAPI error kind on the /rest endpoints (400 unless listed). */
export function statusForKind(kind: VapiErrorKind): number {
  return STATUS[kind] ?? 400;
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

/** A vAPI error raised by a handler; the server turns it into the wire body. */
export class VapiError extends Error {
  override readonly name = 'VapiError';
  constructor(
    readonly kind: VapiErrorKind,
    readonly messages: LocalizableMessage[],
    readonly status: number = statusForKind(kind),
  ) {
    super(messages.map((m) => m.default_message).join('; ') || kind);
  }

  /** The JSON body the /rest endpoints send for this error. */
  body(): { type: string; value: { messages: LocalizableMessage[] } } {
    return { type: `com.vmware.vapi.std.errors.${this.kind}`, value: { messages: this.messages } };
  }
}

/** Raises `kind` with one message whose id is `clsim.<rule>` so tests can tell which rule fired. */
export function fail(
  kind: VapiErrorKind,
  rule: RuleId | 'GENERAL',
  text: string,
  args: string[] = [],
): never {
  throw new VapiError(kind, [message(`clsim.${rule}`, text, args)]);
}
