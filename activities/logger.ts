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

/** A logger for one component of clo; level from `CLO_LOG_LEVEL` (default info). */
export function createLogger(component: string): Logger {
  return pino({
    name: `clo.${component}`,
    level: process.env.CLO_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // URLs turn up anywhere (a message, an error's text, the SDK's failure metadata), so they
    // are redacted in the finished line rather than by field.
    hooks: { streamWrite: redactUrlSecrets },
  });
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
