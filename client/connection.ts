import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions, type CloConfig } from '../temporal.config';

/** A Temporal client for the configured cluster; call `close()` when done. */
export async function connectClient(
  config: CloConfig,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    close: async () => connection.close(),
  };
}
