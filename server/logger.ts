import { hostname } from 'node:os';
import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs for machines; `LOG_PRETTY=1` (set by `npm run dev`) makes them readable. */
export function createLogger(level: string, pretty = process.env.LOG_PRETTY === '1'): Logger {
  return pino({
    level,
    // pid and hostname tell instances apart when several write to one log.
    base: { service: 'homeroom-api', pid: process.pid, hostname: hostname() },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } } }
      : {}),
  });
}
