import pino from 'pino';

/** The logging surface packages need; pino loggers satisfy it. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => undefined;
export const NOOP_LOGGER: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => NOOP_LOGGER };

/**
 * Paths never written to logs: API tokens, S3 credentials, API keys, and the
 * Authorization/Password request headers.
 */
export const REDACTED_PATHS = [
  'apiToken', 'apikey', 'apiKey', 'secretKey', 'accessKey', 'password', 'authorization', 'auth_string', 'authString',
  '*.apiToken', '*.apikey', '*.apiKey', '*.secretKey', '*.accessKey', '*.password', '*.authorization', '*.authString',
  'req.headers.authorization', 'req.headers.password', 'headers.authorization', 'headers.password',
];

/** pino JSON logger for an app's composition root. */
export function createLogger(opts: { level: string; name: string; destination?: NodeJS.WritableStream }): pino.Logger {
  return pino(
    { level: opts.level, name: opts.name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    opts.destination ? (opts.destination as pino.DestinationStream) : undefined,
  );
}
