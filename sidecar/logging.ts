/**
 * pino JSON logs for the sidecar and the operator. Credentials and tokens never reach a log line:
 * the paths below are redacted wherever they appear, and code logs identities, never tokens.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export const REDACTED_PATHS = [
  'password',
  'token',
  'authorization',
  'secret',
  'privateKey',
  'credentials',
  '*.password',
  '*.token',
  '*.authorization',
  '*.secret',
  '*.privateKey',
  '*.credentials',
  'headers.authorization',
  'req.headers.authorization',
];

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  return pino({
    name,
    level: process.env.CREWGATE_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...options,
  });
}

/** A logger that writes nothing, for tests that do not read logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
