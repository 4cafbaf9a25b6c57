/**
 * One ContentLibraryClient per configured vCenter, created on first use and kept for
 * the worker's life so its undici Agent reuses keep-alive connections and its login.
 * Credentials are resolved here, on the worker, never taken from workflow input.
 */
import { getVCenter, resolveVCenterCredentials, type CloConfig } from '../temporal.config';
import { ContentLibraryClient, type ContentLibraryLogger } from './content-library';

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
      client = new ContentLibraryClient({
        url: vc.url,
        username,
        password,
        ...(vc.transferUrl ? { transferOrigin: vc.transferUrl } : {}),
        tls: {
          caFile: vc.tls.caFile,
          thumbprint: vc.tls.thumbprint,
          certificateFile: vc.tls.certificateFile,
          insecure: vc.tls.insecure,
        },
        ...(this.logger ? { logger: this.logger } : {}),
      });
      this.clients.set(name, client);
    }
    return client;
  }

  /** Logs out of every vCenter and closes the connection pools. */
  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map(async (c) => c.close()));
  }
}
