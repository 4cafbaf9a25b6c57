/**
 * Structured JSON logs (pino) with secrets redacted at the source: session tokens,
 * Authorization and cookie headers, passwords, and credentials in URLs never reach the output.
 */
import { activityInfo } from '@temporalio/activity';
import pino, { type Logger } from 'pino';
import { redactUrlSecrets } from '../workflows/definitions/url-secrets';

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

/** An error as pino's serializer has it (message, stack, causes), its own fields (a failure's `type`) kept. */
function serializeError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const own = Object.entries(e).filter(([k]) => k !== 'cause');
  return { ...pino.stdSerializers.err(e), ...Object.fromEntries(own) };
}

/**
 * A logger for one component of clo; level from `CLO_LOG_LEVEL` (default info). Writes to
 * stdout, or to `destination` (tests).
 */
export function createLogger(component: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: `clo.${component}`,
    level: process.env.CLO_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The SDK logs a failed activity's failure as `error`: serialized, its message says why
    // (pino would otherwise keep only the enumerable fields: the type, not the message).
    serializers: { err: serializeError, error: serializeError },
    // URLs turn up anywhere (a message, an error's text, a stack trace), so they are redacted
    // in the finished line rather than by field.
    hooks: { streamWrite: redactUrlSecrets },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Wraps a logger so lines logged inside an activity carry its workflow and activity ids
 * (the REST client is shared by all activities and knows nothing of Temporal).
 */
export function withActivityContext(base: { debug(obj: object, msg?: string): void }): {
  debug(obj: object, msg?: string): void;
} {
  return {
    debug(obj: object, msg?: string) {
      let ids: Record<string, string> = {};
      try {
        const info = activityInfo();
        ids = {
          workflowId: info.workflowExecution?.workflowId ?? '',
          runId: info.workflowExecution?.runId ?? '',
          activityId: info.activityId,
          activityType: info.activityType,
        };
      } catch {
        // Not inside an activity (start-up, tests): log without ids.
      }
      base.debug({ ...ids, ...obj }, msg);
    },
  };
}
