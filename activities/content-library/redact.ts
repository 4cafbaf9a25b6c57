/**
 * Redaction for logs and error messages: session tokens, Authorization values,
 * cookies, passwords and credentials in URLs must never reach a log line, an error
 * message or a Temporal failure (which is persisted in history).
 */
import { REDACTED, redactUrlSecrets } from '../../workflows/definitions/url-secrets';

/** What a redacted value is replaced with. */
export { REDACTED };

/**
 * Header and field names whose values are secrets. `client_token` is not one:
 * it is an idempotency key, and seeing it in logs is how duplicate creates get
 * diagnosed.
 */
const SECRET_KEY =
  /^(?:vmware-api-session-id|authorization|proxy-authorization|cookie|set-cookie|x-vmware-vapi-session-id|password|passwd|secret|api[-_]?key|session[-_]?id|(?:access|refresh|id|session|bearer|auth)[-_]?token|token)$/i;

/** True when a header or field of this name holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Token-shaped text inside free strings: header lines, auth schemes, cookies (URLs: see redactUrlSecrets). */
const STRING_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // "vmware-api-session-id: abc", "vmware-api-session-id=abc" (header dump or cookie)
  [/(vmware-api-session-id["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi, `$1${REDACTED}`],
  // "Authorization: Basic abc==", "authorization":"Bearer x"
  [/((?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi, `$1${REDACTED}`],
  // bare auth schemes anywhere
  [/\b(Basic|Bearer|SIGN)\s+[A-Za-z0-9+/=._~-]{8,}/g, `$1 ${REDACTED}`],
  // cookie headers
  [/((?:set-)?cookie["']?\s*[:=]\s*["']?)[^\r\n"]+/gi, `$1${REDACTED}`],
  // password=... / "password":"..."
  [/(password["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, `$1${REDACTED}`],
];

/**
 * Redacts token-like text from a string; `secrets` are exact values to remove
 * as well (the live session token, the password), whatever surrounds them.
 */
export function redactString(s: string, secrets?: readonly string[]): string {
  let out = s;
  for (const secret of secrets ?? []) {
    // Short values would blank out ordinary words; real tokens are long.
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const [re, replacement] of STRING_PATTERNS) out = out.replace(re, replacement);
  // https://user:secret@host, https://token@host, ?sig=..., ?X-Amz-Credential=..., #access_token=...
  return redactUrlSecrets(out);
}

/**
 * Returns a copy of `value` safe to log: secret-named fields are replaced,
 * strings are scrubbed, undici's flat `[name, value, ...]` header arrays are
 * handled. Cycles and depth are bounded so a log call can never throw.
 */
export function redact<T>(value: T, secrets?: readonly string[]): T {
  return redactValue(value, secrets, new WeakSet(), 0) as T;
}

function redactValue(
  v: unknown,
  secrets: readonly string[] | undefined,
  seen: WeakSet<object>,
  depth: number,
): unknown {
  if (typeof v === 'string') return redactString(v, secrets);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v) || depth > 8) return '[Circular]';
  seen.add(v);
  if (v instanceof Error) {
    return { name: v.name, message: redactString(v.message, secrets), code: (v as { code?: unknown }).code };
  }
  if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
  if (Array.isArray(v)) {
    // undici raw headers: ['name', 'value', 'name', 'value', ...]
    const items = v as unknown[];
    const out = items.map((x) => redactValue(x, secrets, seen, depth + 1));
    for (let i = 0; i + 1 < items.length; i += 2) {
      const k = items[i];
      const key = typeof k === 'string' ? k : Buffer.isBuffer(k) ? k.toString('latin1') : undefined;
      if (key !== undefined && isSecretKey(key)) out[i + 1] = REDACTED;
    }
    return out;
  }
  if (v instanceof Map) {
    return new Map(
      [...v].map(([k, x]) => [
        k,
        typeof k === 'string' && isSecretKey(k) ? REDACTED : redactValue(x, secrets, seen, depth + 1),
      ]),
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = isSecretKey(k) ? REDACTED : redactValue(x, secrets, seen, depth + 1);
  }
  return out;
}
