import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { InvalidInputError } from '../errors';

/** codec/codec-server.ts DEFAULT_CORS_ORIGINS, for the help text (a unit test keeps the two equal). */
export const HELP_CORS_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

interface CodecServerFlags {
  port: string;
  host: string;
  corsOrigin?: string[];
  authTokenFile?: string;
}

/** The bearer token requests must carry: --auth-token-file, else CLO_CODEC_AUTH_TOKEN, else none. */
export function codecAuthToken(
  flags: Pick<CodecServerFlags, 'authTokenFile'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (flags.authTokenFile) {
    let token: string;
    try {
      token = readFileSync(flags.authTokenFile, 'utf8').trim();
    } catch (err) {
      throw new InvalidInputError(
        `--auth-token-file: cannot read ${flags.authTokenFile} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
    if (!token) throw new InvalidInputError(`--auth-token-file: ${flags.authTokenFile} is empty`);
    return token;
  }
  return env.CLO_CODEC_AUTH_TOKEN || undefined;
}

/** `clo codec-server`: decodes (and encodes) payloads for the Web UI and the temporal CLI. */
export function registerCodecServer(program: Command): void {
  program
    .command('codec-server')
    .description(
      'serve POST /encode and /decode with the configured encryption keys, for the Web UI (docs/security.md)',
    )
    .option('--port <port>', 'port to listen on', '8888')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--cors-origin <origin...>',
      `Web UI origins allowed to call it (default: ${HELP_CORS_ORIGINS.join(' ')}, the dev server's UI)`,
    )
    .option(
      '--auth-token-file <path>',
      'require Authorization: Bearer <the file’s content> (or set CLO_CODEC_AUTH_TOKEN)',
    )
    .action(async (flags: CodecServerFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new InvalidInputError(`--port: expected a port number (got "${flags.port}")`);
      }
      for (const origin of flags.corsOrigin ?? []) {
        if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
          throw new InvalidInputError(
            `--cors-origin: expected scheme://host[:port] without a path, e.g. http://localhost:8233 (got "${origin}")`,
          );
        }
      }
      // Loaded here, not at the top, so `clo --help` loads none of it (bench/startup.ts).
      const { createCodecServer, DEFAULT_CORS_ORIGINS } = await import('../../codec/codec-server');
      const { payloadCodecsFor } = await import('../../codec/data-converter');
      const { KEY_SETTINGS } = await import('../../codec/encryption-codec');
      const { ConfigError, loadConfig } = await import('../../temporal.config');
      const config = loadConfig();
      const [codec] = payloadCodecsFor(config);
      if (!codec || !config.temporal.encryption) {
        throw new ConfigError(`clo codec-server needs the encryption keys: set ${KEY_SETTINGS}`);
      }
      const authToken = codecAuthToken(flags);
      const server = createCodecServer({
        codec,
        ...(flags.corsOrigin?.length ? { corsOrigins: flags.corsOrigin } : {}),
        ...(authToken ? { authToken } : {}),
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, flags.host, resolve);
      });
      const { address, port: bound } = server.address() as AddressInfo;
      const keys = config.temporal.encryption.keys.map((k) => k.id);
      console.log(
        `codec server on http://${address}:${bound} (keys: ${keys.join(', ')}; active ${keys[0]}; ` +
          `CORS: ${(flags.corsOrigin ?? DEFAULT_CORS_ORIGINS).join(' ')}; auth token ${authToken ? 'required' : 'off'})`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => server.close(() => resolve());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
