/**
 * One ContentLibraryClient per configured vCenter, created on first use and kept for
 * the worker's life so its undici Agent reuses keep-alive connections and its login.
 * Credentials are resolved here, on the worker, never taken from workflow input.
 */
import {
  ConfigError,
  getVCenter,
  resolveVCenterCredentials,
  type CloConfig,
  type VCenterConfig,
} from '../temporal.config';
import { ContentLibraryClient, type ContentLibraryLogger } from './content-library';

/** How long a logout may take when a client is dropped: a dead vCenter must not hold up a worker's shutdown. */
export const LOGOUT_TIMEOUT_MS = 5000;

export class VCenterClients {
  private readonly clients = new Map<string, ContentLibraryClient>();

  constructor(
    private readonly config: CloConfig,
    private readonly logger?: ContentLibraryLogger,
  ) {}

  /** The client for the vCenter configured under `name`; throws ConfigError if there is none. */
  get(name: string): ContentLibraryClient {
    let client = this.clients.get(name);
    if (!client) {
      const vc = getVCenter(this.config, name);
      const { username, password } = resolveVCenterCredentials(vc);
      const prefix = `CLO_VCENTER_${name.toUpperCase().replace(/-/g, '_')}_`;
      client = newClient(prefix, {
        url: vc.url,
        username,
        password,
        // A password file may be rotated under a running worker: on a refused login the
        // client reads it again and retries once (a variable cannot change in a running process).
        ...(vc.passwordFile ? { refreshPassword: () => resolveVCenterCredentials(vc).password } : {}),
        ...(vc.transferUrl ? { transferOrigin: vc.transferUrl } : {}),
        ...(vc.apiFlavor ? { apiFlavor: vc.apiFlavor } : {}),
        tls: {
          caFile: vc.tls.caFile,
          thumbprint: vc.tls.thumbprint,
          certificateFile: vc.tls.certificateFile,
          insecure: vc.tls.insecure,
          settings: {
            thumbprint: `${prefix}THUMBPRINT`,
            certificateFile: `${prefix}CERTIFICATE_FILE`,
            caFile: `${prefix}CA_FILE`,
          },
        },
        ...(this.logger ? { logger: this.logger } : {}),
      });
      this.clients.set(name, client);
    }
    return client;
  }

  /** The settings of the vCenter configured under `name` (its limits); throws ConfigError if there is none. */
  settings(name: string): VCenterConfig {
    return getVCenter(this.config, name);
  }

  /** Drops the client of one vCenter (the next get() makes a new one): logs out, then closes its pools. */
  async drop(name: string): Promise<void> {
    const client = this.clients.get(name);
    this.clients.delete(name);
    if (client) await logOutAndClose(client);
  }

  /** Logs out of every vCenter and closes the connection pools. */
  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map(logOutAndClose));
  }
}

/**
 * A client for one vCenter; a certificate or CA file that cannot be read or is not a PEM is a
 * ConfigError naming the vCenter's settings (permanent: a retry reads the same file).
 */
function newClient(
  prefix: string,
  options: ConstructorParameters<typeof ContentLibraryClient>[0],
): ContentLibraryClient {
  try {
    return new ContentLibraryClient(options);
  } catch (err) {
    throw new ConfigError(
      `${prefix}CERTIFICATE_FILE or ${prefix}CA_FILE: ${(err as Error).message}; point it at a readable PEM certificate`,
    );
  }
}

/** Ends the client's vCenter session, so a restarted worker does not leak one per vCenter, then closes it. */
async function logOutAndClose(client: ContentLibraryClient): Promise<void> {
  try {
    await client.logout({ timeoutMs: LOGOUT_TIMEOUT_MS });
  } finally {
    await client.close();
  }
}
