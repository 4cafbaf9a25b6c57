import { Client, Connection } from '@temporalio/client';
import { dataConverterOptions } from '../codec/data-converter';
import { temporalConnectionOptions, type CloConfig } from '../temporal.config';

/**
 * A Temporal client for the configured cluster, sealing payloads when encryption keys are
 * configured (codec/); call `close()` when done.
 */
export async function connectClient(
  config: CloConfig,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  return {
    client: new Client({ connection, namespace: config.temporal.namespace, ...dataConverterOptions(config) }),
    close: async () => connection.close(),
  };
}
