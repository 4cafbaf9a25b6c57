/**
 * Routes the Temporal SDK's own logs (worker state, activity failures, workflow
 * logs) into the same structured pino output as ours, at a level the operator
 * chooses, instead of the SDK's default console format.
 */
import { Runtime, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';

const TO_PINO: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

class PinoSdkLogger implements Logger {
  constructor(private readonly pino: Pino) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.pino[TO_PINO[level]](meta ?? {}, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** Installs the SDK runtime once per process with `logger`; later calls are no-ops. */
export function installRuntimeLogger(logger: Pino): void {
  try {
    Runtime.install({ logger: new PinoSdkLogger(logger) });
  } catch {
    // Already installed (a second worker in the same process): keep the first.
  }
}
