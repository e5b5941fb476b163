import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
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
 * logged "Homeroom API on <url>".
 */
export async function spawnApi(options: {
  databaseUrl: string;
  redisUrl?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}): Promise<SpawnedApi> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
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
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      logs.notify();
      done({ code, signal });
    }),
  );
  const logs = new Collector<LogLine>();
  const otherLines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line));
      } catch {
        otherLines.push(line);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let done = false;
  void exited.then(() => (done = true));
  try {
    await logs.until(
      () => done || logs.items.some((l) => /^Homeroom API on /.test(String(l.msg))),
      options.startTimeoutMs ?? 45_000,
      'the API to log its address',
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\nstdout: ${otherLines.join('\n')}\nstderr: ${stderr}`);
  }
  if (done)
    throw new Error(`server/main.ts exited before serving\nstderr: ${stderr}\nstdout: ${otherLines.join('\n')}`);
  const started = logs.items.find((l) => /^Homeroom API on /.test(String(l.msg)))!;
  const port = Number(new URL(String(started.url)).port);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    child,
    pid: child.pid!,
    url: `${baseUrl}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    baseUrl,
    port,
    logs,
    otherLines,
    stderr: () => stderr,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
