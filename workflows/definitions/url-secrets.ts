/**
 * Credentials in URLs. A URL source is kept in workflow history, shown in the Web UI and
 * sent to the vCenter (which stores it on the item), and a sync index URL is written into
 * every item it manages: a token in one of them would be readable by anyone who can read
 * history or the library. So URLs that carry credentials (user info, or query, fragment
 * or path parameters named like credentials) are refused before a workflow starts, again
 * in the workflow, and redacted from every message and log line.
 *
 * Pure (no I/O): the client, the workflows and the activities share it.
 */

/** What a redacted value is replaced with (the same marker as activities/content-library/redact.ts). */
export const REDACTED = '[REDACTED]';

/**
 * Parameter names whose values are credentials, compared lowercase with `-`, `_`, `.` and
 * spaces removed. `sig` is what makes an Azure SAS URL a credential; its other fields
 * (`sv`, `se`, `sp`, `sr`, ...) are the permissions and expiry that `sig` signs, not
 * secrets, and are too short and common to refuse on their own.
 */
const CREDENTIAL_NAMES = new Set([
  'token',
  'sig',
  'signature',
  'password',
  'passwd',
  'pwd',
  'secret',
  'key',
  'apikey',
  'code',
  'auth',
  'authorization',
  'bearer',
  'jwt',
  'cred',
  'creds',
  'credential',
  'credentials',
  'session',
  'sessionid',
  'jsessionid',
  'phpsessid',
  'hmac',
  'accesskey',
  'accesskeyid',
  'awsaccesskeyid',
  'googleaccessid',
  'secretkey',
  'privatekey',
]);

/** Endings of credential names: `access_token`, `X-Goog-Signature`, `client_secret`, `db_password`, ... */
const CREDENTIAL_SUFFIXES = [
  'token',
  'signature',
  'secret',
  'password',
  'passwd',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'sessionid',
  'credential',
  'credentials',
];

/** Names ending in `token` that are paging cursors, not credentials. */
const NOT_CREDENTIALS = new Set([
  'pagetoken',
  'nexttoken',
  'nextpagetoken',
  'continuationtoken',
  'synctoken',
  'resumetoken',
]);

/** Every parameter of an S3 or GCS presigned URL (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`, ...). */
const CREDENTIAL_PREFIXES = ['x-amz-', 'x-goog-'];

/** A parameter name as a server reads it: percent-decoded, `+` as space, trimmed, lowercase. */
function decodedName(name: string): string {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    // Not valid percent-encoding: judge the raw name.
  }
  return decoded.trim().toLowerCase();
}

/** True when a URL parameter of this name (raw or percent-decoded, any case) carries a credential. */
export function isCredentialParam(name: string): boolean {
  const lower = decodedName(name);
  if (CREDENTIAL_PREFIXES.some((p) => lower.startsWith(p))) return true;
  const n = lower.replace(/[-_.\s]/g, '');
  if (NOT_CREDENTIALS.has(n)) return false;
  return CREDENTIAL_NAMES.has(n) || CREDENTIAL_SUFFIXES.some((s) => n.endsWith(s));
}

// `scheme://userinfo@`: userinfo runs to the last `@` before the host's end (as URL parsers read it).
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>\\]+)@/gi;
// `?name=value`, `&name=value`, `#name=value` and `;name=value` (path parameters such as jsessionid).
const PARAM = /([?&;#])([^=&#;?\s"'<>\\]+)=([^&#;\s"'<>\\]*)/g;

/** Where a URL carries a credential; `name` is the parameter's name as written. */
export interface UrlSecret {
  where: 'userinfo' | 'parameter';
  name?: string;
}

/**
 * The credentials `url` carries: its user info, and every query, fragment or path
 * parameter named like a credential. Read both as written and as a URL parser reads it
 * (which decodes names and drops tabs and newlines), so neither spelling slips through.
 */
export function findUrlSecrets(url: string): UrlSecret[] {
  const found: UrlSecret[] = [];
  const seen = new Set<string>();
  const add = (s: UrlSecret) => {
    const key = `${s.where}:${decodedName(s.name ?? '')}`;
    if (!seen.has(key)) {
      seen.add(key);
      found.push(s);
    }
  };
  if (new RegExp(USERINFO.source, 'i').test(url)) add({ where: 'userinfo' });
  for (const m of url.matchAll(PARAM))
    if (m[3] && isCredentialParam(m[2]!)) add({ where: 'parameter', name: m[2]! });
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL at all: the schema's own check reports that.
  }
  if (parsed) {
    if (parsed.username || parsed.password) add({ where: 'userinfo' });
    const params = [...parsed.searchParams];
    if (parsed.hash.includes('=')) params.push(...new URLSearchParams(parsed.hash.slice(1)));
    for (const [name, value] of params)
      if (value && isCredentialParam(name)) add({ where: 'parameter', name });
  }
  return found;
}

/**
 * `text` with every credential in a URL replaced by {@link REDACTED}: a password in user
 * info (the user name stays, it says which account), user info without a password (often
 * a token) whole, and the value of every parameter named like a credential, in full URLs
 * and in bare paths alike (`/f.iso?sig=...`). The rest of the text is left as it is, and
 * a URL without credentials (one {@link findUrlSecrets} accepts) comes back unchanged.
 */
export function redactUrlSecrets(text: string): string {
  return text
    .replace(USERINFO, (_m, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      return colon < 0 ? `${scheme}${REDACTED}@` : `${scheme}${info.slice(0, colon)}:${REDACTED}@`;
    })
    .replace(PARAM, (m, sep: string, name: string, value: string) =>
      value && isCredentialParam(name) ? `${sep}${name}=${REDACTED}` : m,
    );
}

/** How one URL field's value reads in a message: credentials redacted, long values clipped. */
function shown(url: string): string {
  const safe = redactUrlSecrets(url);
  return safe.length > 300 ? `${safe.slice(0, 300)}…` : safe;
}

/**
 * Why the URL in `field` must not be used, or undefined when it carries no credential. The
 * message names the field and the fix and shows the URL redacted, never the secret.
 */
export function urlSecretsProblem(url: string, field: string): string | undefined {
  const secrets = findUrlSecrets(url);
  if (secrets.length === 0) return undefined;
  const what = secrets
    .map((s) => (s.where === 'userinfo' ? 'a user name or password' : `the parameter "${s.name}"`))
    .join(', ');
  return (
    `${field} carries credentials (${what}): ${shown(url)}. ` +
    'A URL is kept in workflow history and stored on the vCenter, so it must not hold a secret. ' +
    'Serve the file at a URL that needs none (a path only the vCenter can reach, e.g. an internal ' +
    'mirror behind an address allow-list), or copy it to the worker host and upload it as a file source'
  );
}

/**
 * Why a plain `http://` URL in `field` is refused, or undefined when it is https or
 * `allowed`. `flag` names how to allow it (the input field and the CLI option).
 */
export function plainHttpProblem(
  url: string,
  field: string,
  allowed: boolean | undefined,
  flag: string,
): string | undefined {
  if (allowed || !/^http:/i.test(url.trim())) return undefined;
  return (
    `${field} is plain http (${shown(url)}): the bytes travel unencrypted and anyone on the way can read ` +
    'or replace them. Serve it over https (for a self-signed certificate, give its thumbprint in ' +
    `sslCertificateThumbprint), or accept plain http explicitly with ${flag}`
  );
}
