/**
 * The `clo` command line. Each command lives in its own file under client/commands;
 * this file only wires them into commander and turns errors into one clear line
 * (the stack only with --debug) and a meaningful exit code.
 */
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo';
import { registerDeployment } from './commands/deployment';
import { registerDev } from './commands/dev';
import { registerDownload } from './commands/download';
import { registerUpload } from './commands/upload';
import { registerWorker } from './commands/worker';
import { registerCancel } from './commands/cancel';
import { registerCodecServer } from './commands/codec-server';
import { registerList } from './commands/list';
import { registerReap } from './commands/reap';
import { registerSchedule } from './commands/schedule';
import { registerStatus } from './commands/status';
import { registerSync } from './commands/sync';
import { EXIT } from './exit-codes';

export function buildProgram(): Command {
  const program = new Command('clo')
    .description('Durable transfers into and out of vSphere Content Libraries, on Temporal')
    .option('--debug', 'print stack traces and debug logs')
    .showHelpAfterError()
    .exitOverride();
  registerDev(program);
  registerDemo(program);
  registerUpload(program);
  registerDownload(program);
  registerWorker(program);
  registerDeployment(program);
  registerStatus(program);
  registerList(program);
  registerCancel(program);
  registerReap(program);
  registerSchedule(program);
  registerSync(program);
  registerCodecServer(program);
  return program;
}

/** Parses `argv` and runs the command; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed help or the usage error.
      return err.exitCode === 0 ? EXIT.OK : EXIT.BAD_INPUT;
    }
    const debug = program.opts<{ debug?: boolean }>().debug;
    // By name: importing ConfigError would load temporal.config and zod for every command, --help included.
    if (err instanceof Error && (err.name === 'ConfigError' || err.name === 'InvalidInputError')) {
      console.error(`clo: ${err.message}`);
      return EXIT.BAD_INPUT;
    }
    if (
      err instanceof Error &&
      ['NotFoundError', 'WorkflowNotFoundError', 'ScheduleNotFoundError'].includes(err.name)
    ) {
      console.error(`clo: ${err.message}`);
      return EXIT.NOT_FOUND;
    }
    if (err instanceof Error && err.name === 'RequestConflictError') {
      console.error(`clo: ${err.message}`);
      return EXIT.CONFLICT;
    }
    if (err instanceof Error && err.name === 'WorkflowFailedError' && !debug) {
      // "Workflow execution failed" says nothing: the failure under it names the field and the fix.
      console.error(`clo: the workflow failed: ${failureLine(err)}`);
      return EXIT.FAILURE;
    }
    console.error(
      `clo: ${debug ? ((err as Error).stack ?? String(err)) : ((err as Error).message ?? String(err))}`,
    );
    return EXIT.FAILURE;
  }
}

/** `<type>: <message>` of the innermost failure with a type (the ApplicationFailure an activity raised). */
function failureLine(err: Error): string {
  let e: unknown = err;
  let last: { type?: string | null; message?: string } = err;
  while (e instanceof Error) {
    const typed = e as Error & { type?: string | null };
    if (typed.type || typed.name === 'TerminatedFailure' || typed.name === 'CancelledFailure') last = typed;
    e = (e as { cause?: unknown }).cause;
  }
  return last.type ? `${last.type}: ${last.message}` : (last.message ?? String(err));
}

/** Entry point for bin/clo. */
export function run(argv: string[] = process.argv): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT.FAILURE);
    },
  );
}

if (require.main === module) run();
