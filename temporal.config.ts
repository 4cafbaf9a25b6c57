/**
 * The one configuration shared by the worker and the client, validated with zod.
 *
 * Sources, later ones winning: built-in defaults, an optional JSON file named by
 * `CLO_CONFIG_FILE`, then environment variables. A bad value fails fast with one
 * message that names the variable (or file key) and what is expected.
 *
 * Credentials live here only on the worker's side: workflows name a vCenter
 * (`vcenter: "lab"`), and activities resolve its username and password through
 * {@link resolveVCenterCredentials} when they need them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { encryptionSettings } from './codec/keys';

/** Duration as milliseconds, or a string like `500ms`, `30s`, `5m`, `1h`. */
export const Duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 5m or 1500ms (got "${value}")` });
    return z.NEVER;
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
});

const Bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) => {
  if (typeof v === 'boolean') return v;
  return v === 'true' || v === '1' || v === 'yes';
});

const HttpUrl = z
  .string()
  .url({ message: 'expected an http(s) URL such as https://vcenter.example.com' })
  .refine((u) => /^https?:\/\//.test(u), { message: 'expected an http:// or https:// URL' });

/**
 * SHA-1 or SHA-256 of the server certificate's DER encoding: the 8.0.2 spec's
 * `ssl_certificate_thumbprint` is SHA-1, later releases print SHA-256 (activities/content-library/tls.ts).
 */
const Thumbprint = z
  .string()
  .regex(
    /^([0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{40}$|^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/,
    {
      message:
        'expected a SHA-1 or SHA-256 thumbprint: 40 or 64 hex digits, optionally colon-separated (AA:BB:...)',
    },
  );

const WHOLE_AT_LEAST_1 = 'expected a whole number of at least 1 (unset: no limit)';

/** One named vCenter connection. Exactly one of `password` and `passwordFile` is required. */
export const VCenterConfig = z
  .object({
    url: HttpUrl,
    username: z.string().min(1, { message: 'expected a non-empty user name' }),
    password: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    /** Send transfers here instead of the host the server names (vCenter behind a proxy or NAT). */
    transferUrl: HttpUrl.optional(),
    /**
     * Accept http:// for `url` and `transferUrl`, which sends the password (Basic auth) and the
     * session token in clear. For simulators such as vcsim only. @default false
     */
    allowPlainHttp: Bool.optional(),
    /**
     * Wire format of the Content Library API: `api` (`/api/...`, vSphere 7.0 U2 and later; the
     * one vSphere 8 and 9 document), `rest` (`/rest/com/vmware/...`, deprecated since 7.0 U2), or
     * `auto`: try `POST /api/session`, fall back to `/rest` on 404, remember the answer. @default auto
     */
    apiFlavor: z.enum(['auto', 'api', 'rest'], { message: 'expected auto, api or rest' }).optional(),
    /**
     * How many update and download sessions all workers together hold on this vCenter at once;
     * more sagas wait for a transfer permit before they create one (workflows/transfer-permits.ts).
     * @default unlimited
     */
    maxConcurrentTransfers: z
      .union([z.number(), z.string().transform(Number)])
      .pipe(
        z
          .number({ message: WHOLE_AT_LEAST_1 })
          .int({ message: WHOLE_AT_LEAST_1 })
          .min(1, { message: WHOLE_AT_LEAST_1 }),
      )
      .optional(),
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        thumbprint: Thumbprint.optional(),
        /** PEM file of the server's own certificate, pinned like a thumbprint (the DER bytes must be equal). */
        certificateFile: z.string().min(1).optional(),
        /** Skip certificate verification entirely. Never the default. @default false */
        insecure: Bool.default(false),
      })
      .default({ insecure: false }),
  })
  .refine((v) => Boolean(v.password) !== Boolean(v.passwordFile), {
    message: 'set exactly one of password or passwordFile',
    path: ['password'],
  });
export type VCenterConfig = z.infer<typeof VCenterConfig>;

export const TemporalConfig = z.object({
  /** host:port of the Temporal frontend. @default 127.0.0.1:7233 */
  address: z.string().regex(/^[^\s:]+:\d+$/, { message: 'expected host:port, e.g. 127.0.0.1:7233' }),
  /** @default default */
  namespace: z.string().min(1),
  /** @default content-library */
  taskQueue: z.string().min(1),
  /** API key for Temporal Cloud or a cluster that uses them. */
  apiKey: z.string().min(1).optional(),
  tls: z
    .object({
      enabled: Bool.default(false),
      caFile: z.string().min(1).optional(),
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      serverName: z.string().min(1).optional(),
    })
    .refine((t) => Boolean(t.certFile) === Boolean(t.keyFile), {
      message: 'set both certFile and keyFile for mTLS, or neither',
      path: ['certFile'],
    })
    .default({ enabled: false }),
  /**
   * Payload encryption keys (codec/keys.ts): one of a file or a variable of `id=base64key`
   * entries, the first one active. On when a key is configured, off otherwise. @default off
   */
  encryption: z
    .object({ keyFile: z.string().min(1).optional(), keys: z.string().min(1).optional() })
    .transform(encryptionSettings)
    .optional(),
});
export type TemporalConfig = z.infer<typeof TemporalConfig>;

export const TimeoutsConfig = z.object({
  /** How often a saga calls keep_alive on its session; well under the server's 5-minute expiry. @default 60s */
  keepAliveIntervalMs: Duration,
  /** A transfer activity that has not heartbeated for this long is retried elsewhere. @default 30s */
  heartbeatTimeoutMs: Duration,
  /**
   * How long a saga waits out an unreachable vCenter (refused or reset connections, 5xx,
   * timeouts) before it fails; its compensations wait as long again. @default 2h
   */
  outageBudgetMs: Duration.optional(),
  /**
   * The longest wait between two tries of a call while vCenter is away (backoff from 1 s
   * doubles up to it): how often a rebooting vCenter is probed. @default 30s
   */
  outageRetryIntervalMs: Duration.pipe(
    z.number().min(1000, { message: 'expected at least 1s (how often to retry an unreachable vCenter)' }),
  ).optional(),
  /** How long a download waits for the worker of the host that holds its part files. @default 1h */
  hostWaitTimeoutMs: Duration.optional(),
});
export type TimeoutsConfig = z.infer<typeof TimeoutsConfig>;

/**
 * A Worker Deployment's name, as the server accepts it: no '.' or ':' (its version strings use
 * them as delimiters) and no leading '__' (reserved).
 */
export const DeploymentName = z.string().regex(/^(?!__)[^\s.:]{1,255}$/, {
  message: "expected a name of up to 255 characters without spaces, '.' or ':' (e.g. content-library)",
});

/** A build id: what distinguishes one deploy of the workflow code from the next. */
export const BuildId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/, {
  message:
    "expected letters, digits, '.', '_', '+' or '-', starting with a letter or digit (e.g. a git commit or 1.4.2)",
});

/**
 * Directories a worker may read or write (activities/allowed-paths.ts): absolute paths, as a
 * JSON array or, from `variable`, separated by ':' like PATH. Checked when a path is opened,
 * after symbolic links are resolved.
 */
function rootsFrom(variable: string) {
  return z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
    const roots = (typeof value === 'string' ? value.split(':') : value).filter((r) => r !== '');
    for (const root of roots) {
      if (!root.startsWith('/')) {
        ctx.addIssue({
          code: 'custom',
          message: `expected absolute directories (${variable}: separated by ':', like PATH), got "${root}"`,
        });
      }
    }
    return roots;
  });
}

/** See WorkerConfig.shutdownGraceMs. */
const SHUTDOWN_GRACE_DEFAULT_MS = 25_000;

export const WorkerConfig = z.object({
  /**
   * Names this worker's host queue (`<taskQueue>@<hostId>`), where downloads run so that a
   * retry finds its part file. Set it where the host name does not survive a restart (a pod
   * of a Deployment) to something that does (the volume's name), or give workers that share
   * one destination volume the same id. @default the host name
   */
  hostId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
      message: "expected a stable id of letters, digits, '.', '_' or '-' (the host name by default)",
    })
    .optional(),
  /**
   * Write downloads with O_DIRECT (past the page cache) where the filesystem allows it. Turn it
   * off for a destination where direct I/O is slow, such as some NFS mounts. @default true
   */
  directIo: Bool.default(true),
  /**
   * On SIGTERM/SIGINT the worker stops polling and gives in-flight activities this long to
   * finish; then it aborts them as a retryable failure, so another worker resumes them at once,
   * and exits a few seconds later at most (worker/create-worker.ts). 25 s leaves that exit
   * inside Kubernetes' default 30 s termination grace period, before its SIGKILL. @default 25s
   */
  shutdownGraceMs: Duration.default(SHUTDOWN_GRACE_DEFAULT_MS),
  /**
   * The Worker Deployment this worker's version belongs to (docs/deploy.md). Used only with
   * `buildId`. @default the task queue's name
   */
  deploymentName: DeploymentName.optional(),
  /**
   * Makes the worker versioned: it polls as version `<deploymentName>.<buildId>` and gets only
   * the tasks the server routes to that version (new workflows once it is set current, and the
   * pinned ones that started on it). Unset, the worker is unversioned, as before: it gets every
   * task of its queues, and no `clo deployment set-current` is needed (clo dev, the demo, tests).
   * @default unset (unversioned)
   */
  buildId: BuildId.optional(),
  /**
   * Directories whose files the worker may read: upload sources (and the files an OVF
   * references), sync catalogs, DIRECT `file://` download endpoints. Worker-wide, not per
   * vCenter (docs/security.md). @default none: the worker reads no files
   */
  readRoots: rootsFrom('CLO_READ_ROOTS').optional(),
  /** Directories under which the worker may write downloads (destinations, part files). @default none */
  writeRoots: rootsFrom('CLO_WRITE_ROOTS').optional(),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;

/** `CLO_VCENTER_<NAME>_<FIELD>`: the variable that sets `field` of the vCenter named `name`. */
function vcenterVariable(name: string, field: string): string {
  return `CLO_VCENTER_${name.toUpperCase().replace(/-/g, '_')}_${field}`;
}

/**
 * Transport security of each vCenter, checked here where its name is known so the message can
 * name the variable: plain HTTP only when asked for, and no pin or CA over plain HTTP, where
 * there is no certificate to check.
 */
function checkTransport(vcenters: Record<string, VCenterConfig>, ctx: z.RefinementCtx): void {
  for (const [name, vc] of Object.entries(vcenters)) {
    for (const field of ['url', 'transferUrl'] as const) {
      const url = vc[field];
      if (!url?.startsWith('http://')) continue;
      if (!vc.allowPlainHttp) {
        ctx.addIssue({
          code: 'custom',
          path: ['vcenters', name, field],
          message:
            `${url} is plain HTTP, which would send the vCenter password and session in clear; ` +
            `use https://, or for a simulator such as vcsim set ${vcenterVariable(name, 'ALLOW_PLAIN_HTTP')}=true ` +
            `(allowPlainHttp: true)`,
        });
      }
      for (const [pin, pinVariable] of [
        ['thumbprint', 'THUMBPRINT'],
        ['certificateFile', 'CERTIFICATE_FILE'],
        ['caFile', 'CA_FILE'],
      ] as const) {
        if (!vc.tls[pin]) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['vcenters', name, 'tls', pin],
          message:
            `${vcenterVariable(name, pinVariable)} is set but ${url} is plain HTTP, where there is no certificate to check; ` +
            `use an https:// ${field}, or unset it`,
        });
      }
    }
    if (vc.tls.thumbprint && vc.tls.certificateFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['vcenters', name, 'tls', 'certificateFile'],
        message: `set one of ${vcenterVariable(name, 'THUMBPRINT')} and ${vcenterVariable(name, 'CERTIFICATE_FILE')}, not both`,
      });
    }
  }
}

export const CloConfig = z
  .object({
    temporal: TemporalConfig,
    vcenters: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), VCenterConfig),
    timeouts: TimeoutsConfig,
    worker: WorkerConfig.default({ directIo: true, shutdownGraceMs: SHUTDOWN_GRACE_DEFAULT_MS }),
  })
  .superRefine((config, ctx) => checkTransport(config.vcenters, ctx));
export type CloConfig = z.infer<typeof CloConfig>;

/** Environment variable for each top-level setting, so errors can name what the user must fix. */
const ENV: Record<string, string> = {
  'temporal.address': 'TEMPORAL_ADDRESS',
  'temporal.namespace': 'TEMPORAL_NAMESPACE',
  'temporal.taskQueue': 'CLO_TASK_QUEUE',
  'temporal.apiKey': 'TEMPORAL_API_KEY',
  'temporal.tls.enabled': 'TEMPORAL_TLS',
  'temporal.tls.caFile': 'TEMPORAL_TLS_CA_FILE',
  'temporal.tls.certFile': 'TEMPORAL_TLS_CERT_FILE',
  'temporal.tls.keyFile': 'TEMPORAL_TLS_KEY_FILE',
  'temporal.tls.serverName': 'TEMPORAL_TLS_SERVER_NAME',
  'temporal.encryption.keyFile': 'CLO_ENCRYPTION_KEY_FILE',
  'temporal.encryption.keys': 'CLO_ENCRYPTION_KEYS',
  'timeouts.keepAliveIntervalMs': 'CLO_KEEPALIVE_INTERVAL',
  'timeouts.heartbeatTimeoutMs': 'CLO_HEARTBEAT_TIMEOUT',
  'timeouts.outageBudgetMs': 'CLO_OUTAGE_BUDGET',
  'timeouts.outageRetryIntervalMs': 'CLO_OUTAGE_RETRY_INTERVAL',
  'timeouts.hostWaitTimeoutMs': 'CLO_HOST_WAIT_TIMEOUT',
  'worker.hostId': 'CLO_HOST_ID',
  'worker.directIo': 'CLO_DIRECT_IO',
  'worker.shutdownGraceMs': 'CLO_SHUTDOWN_GRACE',
  'worker.deploymentName': 'CLO_DEPLOYMENT_NAME',
  'worker.buildId': 'CLO_BUILD_ID',
  'worker.readRoots': 'CLO_READ_ROOTS',
  'worker.writeRoots': 'CLO_WRITE_ROOTS',
};

/** `CLO_VCENTER_<NAME>_<FIELD>` variables; NAME is the connection's name in upper case. */
const VCENTER_FIELDS: Record<string, string> = {
  URL: 'url',
  USERNAME: 'username',
  PASSWORD: 'password',
  PASSWORD_FILE: 'passwordFile',
  TRANSFER_URL: 'transferUrl',
  ALLOW_PLAIN_HTTP: 'allowPlainHttp',
  API_FLAVOR: 'apiFlavor',
  CA_FILE: 'tls.caFile',
  THUMBPRINT: 'tls.thumbprint',
  CERTIFICATE_FILE: 'tls.certificateFile',
  INSECURE: 'tls.insecure',
  MAX_CONCURRENT_TRANSFERS: 'maxConcurrentTransfers',
};

/** Raised when the configuration is invalid; its message is the whole story. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node = (node[key] ??= {}) as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/**
 * The first key of `value` that `schema` does not know, with the keys it does: zod drops unknown
 * keys, so a typo (`maxConcurrentTransfer`, `readRoot`) would silently leave the default (no
 * limit, no roots). Only plain objects are walked; a transformed one (encryption) checks its own.
 */
function unknownKey(
  value: unknown,
  schema: z.ZodType,
  path: string,
): { path: string; expected: string } | undefined {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (s instanceof z.ZodRecord) {
    for (const [key, entry] of Object.entries(value)) {
      const found = unknownKey(entry, s.valueType as z.ZodType, `${path}.${key}`);
      if (found) return found;
    }
  }
  if (!(s instanceof z.ZodObject)) return undefined;
  const shape = s.shape as Record<string, z.ZodType>;
  for (const [key, entry] of Object.entries(value)) {
    const field = shape[key];
    if (!field) return { path: `${path}.${key}`, expected: Object.keys(shape).join(', ') };
    const found = unknownKey(entry, field, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/**
 * Builds and validates the configuration.
 * @param env the environment to read, `process.env` by default (tests pass their own)
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CloConfig {
  const raw: Record<string, unknown> = {
    temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'content-library' },
    vcenters: {},
    timeouts: { keepAliveIntervalMs: '60s', heartbeatTimeoutMs: '30s' },
    worker: {},
  };
  // Where each value came from, for error messages.
  const origin = new Map<string, string>();

  const file = env.CLO_CONFIG_FILE;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR')
        throw new ConfigError(
          `CLO_CONFIG_FILE=${file}: cannot read it: ${code === 'ENOENT' ? 'no such file' : 'it is a directory'}; point it at your clo config file (\`clo dev\` prints its own), or unset it`,
        );
      throw new ConfigError(`CLO_CONFIG_FILE=${file}: cannot read it as JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new ConfigError(
        `CLO_CONFIG_FILE=${file}: expected a JSON object with temporal, vcenters, timeouts, worker`,
      );
    }
    for (const [section, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (!['temporal', 'vcenters', 'timeouts', 'worker'].includes(section)) {
        throw new ConfigError(
          `${file}: unknown key "${section}"; expected temporal, vcenters, timeouts or worker`,
        );
      }
      const unknown = unknownKey(value, CloConfig.shape[section as keyof typeof CloConfig.shape], section);
      if (unknown)
        throw new ConfigError(`${file}: unknown key "${unknown.path}"; expected ${unknown.expected}`);
      raw[section] = { ...(raw[section] as object), ...(value as object) };
    }
  }

  for (const [path, name] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setPath(raw, path, value);
      origin.set(path, name);
    }
  }

  for (const [name, value] of Object.entries(env)) {
    const m =
      /^CLO_VCENTER_([A-Z0-9_]+?)_(URL|USERNAME|PASSWORD_FILE|PASSWORD|TRANSFER_URL|ALLOW_PLAIN_HTTP|API_FLAVOR|CA_FILE|THUMBPRINT|CERTIFICATE_FILE|INSECURE|MAX_CONCURRENT_TRANSFERS)$/.exec(
        name,
      );
    if (!m || value === undefined || value === '') continue;
    const connection = m[1]!.toLowerCase().replace(/_/g, '-');
    const path = `vcenters.${connection}.${VCENTER_FIELDS[m[2]!]}`;
    const vcenters = raw.vcenters as Record<string, Record<string, unknown>>;
    vcenters[connection] ??= {};
    setPath(vcenters[connection], VCENTER_FIELDS[m[2]!]!, value);
    origin.set(path, name);
  }

  const result = CloConfig.safeParse(raw);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const source = origin.get(path) ?? (file ? `${path} (in ${file} or its variable)` : path);
    const vc = /^vcenters\.([^.]+)(?:\.(.+))?$/.exec(path);
    const hint =
      vc && !origin.has(path)
        ? ` (set CLO_VCENTER_${vc[1]!.toUpperCase().replace(/-/g, '_')}_${
            Object.entries(VCENTER_FIELDS).find(([, f]) => f === vc[2])?.[0] ?? 'URL'
          })`
        : '';
    return `${source}: ${issue.message}${hint}`;
  });
  throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** Returns the named vCenter's settings, or a ConfigError listing the configured names. */
export function getVCenter(config: CloConfig, name: string): VCenterConfig {
  const vc = config.vcenters[name];
  if (!vc) {
    const known = Object.keys(config.vcenters);
    throw new ConfigError(
      `vCenter "${name}" is not configured; ` +
        (known.length
          ? `configured: ${known.join(', ')}`
          : `set CLO_VCENTER_${name.toUpperCase().replace(/-/g, '_')}_URL, _USERNAME and _PASSWORD (or _PASSWORD_FILE)`),
    );
  }
  return vc;
}

/**
 * The Worker Deployment a worker on `taskQueue` belongs to: `worker.deploymentName`, or the task
 * queue's name. A ConfigError when that default is not a valid deployment name.
 */
export function deploymentNameFor(config: CloConfig, taskQueue = config.temporal.taskQueue): string {
  if (config.worker.deploymentName) return config.worker.deploymentName;
  if (!DeploymentName.safeParse(taskQueue).success) {
    throw new ConfigError(
      `CLO_DEPLOYMENT_NAME: the deployment name defaults to the task queue "${taskQueue}", which is not a valid one; ` +
        "set CLO_DEPLOYMENT_NAME (or --deployment-name) to a name without spaces, '.' or ':'",
    );
  }
  return taskQueue;
}

/**
 * Reads the credentials of a vCenter at the moment they are needed (worker side only),
 * so a rotated password file is picked up without a restart.
 */
export function resolveVCenterCredentials(vc: VCenterConfig): { username: string; password: string } {
  if (vc.password) return { username: vc.username, password: vc.password };
  try {
    return { username: vc.username, password: readFileSync(vc.passwordFile!, 'utf8').trim() };
  } catch (err) {
    throw new ConfigError(
      `cannot read the vCenter password file ${vc.passwordFile}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
}

/** Connection options for `@temporalio/client` and `@temporalio/worker`'s NativeConnection. */
export function temporalConnectionOptions(t: TemporalConfig): {
  address: string;
  apiKey?: string;
  tls?:
    | boolean
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
} {
  const tlsWanted = t.tls.enabled || Boolean(t.apiKey) || Boolean(t.tls.caFile) || Boolean(t.tls.certFile);
  return {
    address: t.address,
    ...(t.apiKey ? { apiKey: t.apiKey } : {}),
    ...(tlsWanted
      ? {
          tls: {
            ...(t.tls.serverName ? { serverNameOverride: t.tls.serverName } : {}),
            ...(t.tls.caFile ? { serverRootCACertificate: readFileSync(t.tls.caFile) } : {}),
            ...(t.tls.certFile && t.tls.keyFile
              ? { clientCertPair: { crt: readFileSync(t.tls.certFile), key: readFileSync(t.tls.keyFile) } }
              : {}),
          },
        }
      : {}),
  };
}
