import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { startServerProcess } from '../scripts/lib/server-process';
import { TEST_JWT_SECRET } from './app';
import { Collector } from './live';

export type LogLine = { level: number; msg: string; [key: string]: unknown };

export type SpawnedApi = {
  child: ChildProcess;
  pid: number;
  url: string;
  wsUrl: string;
  baseUrl: string;
  port: number;
  /** Every stdout line that parsed as JSON, in order. */
  logs: Collector<LogLine>;
  /** Every stdout line that did not (there should be none). */
  otherLines: string[];
  stderr: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (cleanup). */
  kill(): Promise<void>;
};

const ROOT = resolve(import.meta.dirname, '..');

/**
 * `server/main.ts` as a real child process (`npm run api` without npm), on a free port of
 * 127.0.0.1, against an existing database (no migrations, no embedded Postgres). Resolves once it
 * logged "Homeroom API on <url>" (scripts/lib/server-process.ts).
 */
export async function spawnApi(options: {
  databaseUrl: string;
  redisUrl?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}): Promise<SpawnedApi> {
  const logs = new Collector<LogLine>();
  const otherLines: string[] = [];
  const server = await startServerProcess({
    name: 'server/main.ts',
    command: process.execPath,
    args: ['--import', 'tsx', 'server/main.ts'],
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      DATABASE_POOL_SIZE: '4',
      MIGRATE_ON_START: '0',
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      ...options.env,
    },
    onLine: (line) => {
      if (!line.trim()) return;
      const log = parseLog(line);
      if (log) logs.push(log);
      else otherLines.push(line);
    },
    ready: (line) => {
      const log = parseLog(line);
      return log && /^Homeroom API on /.test(String(log.msg)) ? Number(new URL(String(log.url)).port) : undefined;
    },
    timeoutMs: options.startTimeoutMs ?? 45_000,
  });
  void server.exited.then(() => logs.notify());
  const port = server.ready;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    child: server.child,
    pid: server.pid,
    url: `${baseUrl}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    baseUrl,
    port,
    logs,
    otherLines,
    stderr: server.stderr,
    exited: server.exited,
    kill: server.kill,
  };
}

function parseLog(line: string): LogLine | undefined {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}
