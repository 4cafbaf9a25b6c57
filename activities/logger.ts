/**
 * Structured JSON logs (pino) with secrets redacted at the source: session tokens,
 * Authorization and cookie headers, and passwords never reach the output.
 */
import pino, { type Logger } from 'pino';

const REDACT_PATHS = [
  'password',
  '*.password',
  'headers.authorization',
  'headers["vmware-api-session-id"]',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers["vmware-api-session-id"]',
  '*.headers.cookie',
  'token',
  '*.token',
];

/** A logger for one component of clo; level from `CLO_LOG_LEVEL` (default info). */
export function createLogger(component: string): Logger {
  return pino({
    name: `clo.${component}`,
    level: process.env.CLO_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
