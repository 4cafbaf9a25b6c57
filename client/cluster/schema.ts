/**
 * Creates the two databases and brings their schemas to the server's version with
 * temporal-sql-tool, the way an operator sets up (and later upgrades) a production cluster:
 * `setup-schema -v 0.0` creates the version tables, `update-schema` applies every versioned
 * step the tool carries embedded (schema/postgresql/v12/{temporal,visibility}/versioned).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PERSISTENCE_DB, VISIBILITY_DB } from './config';
import { PG_USER } from './postgres';

const run = promisify(execFile);

/** The embedded schema each database gets. */
const SCHEMAS: ReadonlyArray<{ database: string; schemaName: string }> = [
  { database: PERSISTENCE_DB, schemaName: 'postgresql/v12/temporal' },
  { database: VISIBILITY_DB, schemaName: 'postgresql/v12/visibility' },
];

export async function setupSchemas(opts: {
  sqlTool: string;
  postgresPort: number;
  log?: (line: string) => void;
}): Promise<void> {
  const tool = async (database: string, args: string[]) => {
    const argv = [
      '--endpoint',
      '127.0.0.1',
      '--port',
      String(opts.postgresPort),
      '--user',
      PG_USER,
      '--plugin',
      'postgres12',
      '--database',
      database,
      ...args,
    ];
    try {
      await run(opts.sqlTool, argv, { maxBuffer: 4 * 1024 * 1024 });
    } catch (err) {
      const e = err as Error & { stderr?: string; stdout?: string };
      throw new Error(
        `temporal-sql-tool ${argv.join(' ')} failed: ${(e.stderr || e.stdout || e.message).trim().slice(-2000)}`,
      );
    }
  };
  // The two databases are independent: set them up side by side.
  await Promise.all(
    SCHEMAS.map(async ({ database, schemaName }) => {
      await tool(database, ['create-database']);
      await tool(database, ['setup-schema', '--version', '0.0']);
      await tool(database, ['update-schema', '--schema-name', schemaName]);
      opts.log?.(`schema: ${database} at the latest ${schemaName}`);
    }),
  );
}
