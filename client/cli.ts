/**
 * The `clo` command line. Each command lives in its own file under client/commands;
 * this file only wires them into commander and turns errors into one line naming the root
 * cause, the exit code of its class, a JSON error object under --json and the whole cause
 * chain under --debug (./failure-report, ./exit-codes).
 */
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo';
import { registerDeployment } from './commands/deployment';
import { registerDev } from './commands/dev';
import { registerDownload } from './commands/download';
import { registerUpload } from './commands/upload';
import { registerWorker } from './commands/worker';
import { registerApproval } from './commands/approve';
import { registerCancel } from './commands/cancel';
import { registerCluster } from './commands/cluster';
import { registerCodecServer } from './commands/codec-server';
import { registerList } from './commands/list';
import { registerReap } from './commands/reap';
import { registerSchedule } from './commands/schedule';
import { registerStatus } from './commands/status';
import { registerSync } from './commands/sync';
import { EXIT } from './exit-codes';
import { chainLines, reportLine, reportOf, type ErrorReport } from './failure-report';

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
  registerApproval(program);
  registerReap(program);
  registerSchedule(program);
  registerSync(program);
  registerCodecServer(program);
  registerCluster(program);
  return program;
}

/** Parses `argv` and runs the command; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // The command that runs, for its --json: a failure is then a JSON object too.
  let active: Command = program;
  program.hook('preAction', (_program, command) => {
    active = command;
  });
  try {
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed help or the usage error.
      if (err.exitCode === 0) return EXIT.OK;
      // Its message as commander printed it, without its own "error: " prefix.
      if (argv.includes('--json'))
        printJsonError(reportOf(Object.assign(err, { message: err.message.replace(/^error: /, '') })));
      return EXIT.BAD_INPUT;
    }
    const debug = Boolean(program.opts<{ debug?: boolean }>().debug);
    const report = reportOf(err, { debug });
    console.error(`clo: ${reportLine(err, report)}`);
    if (debug) console.error(chainLines(report.chain ?? []).join('\n'));
    if (active.opts<{ json?: boolean }>().json) printJsonError(report);
    return report.exitCode;
  }
}

/**
 * On stdout, where --json prints a command's result: a script reads one stream and gets one
 * JSON document either way, told apart by the exit code and the `error` key. The one line on
 * stderr stays for the person watching.
 */
function printJsonError(report: ErrorReport): void {
  console.log(JSON.stringify({ error: report }));
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
