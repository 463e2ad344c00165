import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Request bodies never reach a log line, and these paths are redacted
 * as a second fence in case someone logs an object that carries them.
 */
export function createLogger(level: string, name = 'golive', destination?: pino.DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'body', '*.body', 'password', '*.password'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
export type { Logger };
