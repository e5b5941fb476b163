import { getFreePort } from '../scripts/lib/ports';
import { type ServerProcess, startServerProcess } from '../scripts/lib/server-process';

export type TestRedis = {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: like a crash; clients see the connection drop). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: it saves nothing). */
  restart(): Promise<void>;
};

/**
 * A throwaway redis-server on 127.0.0.1 (free port unless given), persisting nothing. Fault tests
 * start their own, so stopping it cannot disturb test files running in parallel.
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<TestRedis> {
  const port = options.port ?? (await getFreePort());
  let server: ServerProcess<true> | undefined;
  const start = async () => {
    server = await startServerProcess({
      name: 'redis-server (apt-get install redis-server)',
      command: 'redis-server',
      args: [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      env: process.env,
      ready: (line) => (line.includes('Ready to accept connections') ? true : undefined),
    });
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    await current?.kill();
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, restart: async () => (await stop(), await start()) };
}
