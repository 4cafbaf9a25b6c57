/**
 * The process-wide Temporal runtime: the SDK's own logs (worker state, activity
 * failures, workflow logs) go into the same structured pino output as ours, and, when
 * asked, its metrics — with clo's own (activities/metrics.ts) — are served for
 * Prometheus at `http://<address>/metrics`.
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

/**
 * The SDK warns this of every worker without workflows, but the host-queue worker beside
 * each clo worker (create-worker.ts) runs activities only by design: a warning at every start
 * would send operators looking for a fault that is not there.
 */
const NO_WORKFLOWS = 'No workflows registered, not polling for workflow tasks';

class PinoSdkLogger implements Logger {
  constructor(private readonly pino: Pino) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (message === NO_WORKFLOWS && level === 'WARN') level = 'DEBUG';
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

/** Options of {@link installRuntime}. */
export interface RuntimeOptions {
  logger: Pino;
  /** host:port for the Prometheus endpoint, e.g. 127.0.0.1:9464. @default no metrics endpoint */
  metricsAddress?: string;
}

/** Installs the SDK runtime once per process; later calls are no-ops. */
export function installRuntime({ logger, metricsAddress }: RuntimeOptions): void {
  try {
    Runtime.install({
      logger: new PinoSdkLogger(logger),
      ...(metricsAddress
        ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } }
        : {}),
    });
  } catch {
    // Already installed (a second worker in the same process): keep the first.
  }
}
