import { connect as netConnect } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { dataConverterOptions } from '../codec/data-converter';
import { temporalConnectionOptions, type CloConfig } from '../temporal.config';
import { TemporalUnreachableError } from './errors';

/**
 * A Temporal client for the configured cluster, sealing payloads when encryption keys are
 * configured (codec/); call `close()` when done. TemporalUnreachableError when nothing answers.
 */
export async function connectClient(
  config: CloConfig,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const { address } = config.temporal;
  await refuseDeadAddress(address);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal)).catch(
    (err: unknown) => {
      throw new TemporalUnreachableError(address, err instanceof Error ? err.message : String(err));
    },
  );
  return {
    client: new Client({ connection, namespace: config.temporal.namespace, ...dataConverterOptions(config) }),
    close: async () => connection.close(),
  };
}

/** Answers that no retry within a command's lifetime will change. */
const DEAD = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['ENOTFOUND', 'no such host'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
]);

/**
 * A refused port or an unknown host fails here in milliseconds, where the gRPC connect retries it
 * until its 10 s deadline and then says only "Failed to connect before the deadline". Anything
 * else (no answer yet, a proxy in the way) is left to the gRPC connect.
 */
export async function refuseDeadAddress(address: string): Promise<void> {
  const env = process.env;
  if (env.grpc_proxy || env.https_proxy || env.HTTPS_PROXY || env.http_proxy || env.HTTP_PROXY) return;
  const colon = address.lastIndexOf(':');
  const why = await new Promise<string | undefined>((done) => {
    const socket = netConnect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    const end = (result: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      done(result);
    };
    const timer = setTimeout(() => end(undefined), 2000);
    socket.once('connect', () => end(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const text = DEAD.get(err.code ?? '');
      end(text ? `${text}: ${err.code}` : undefined);
    });
  });
  if (why) throw new TemporalUnreachableError(address, why);
}
