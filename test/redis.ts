import { type ChildProcess, spawn } from 'node:child_process';
import { getFreePort } from '../scripts/lib/ports';

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
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  const start = async () => {
    child = await spawnRedis(port);
    process.on('exit', killOnExit);
  };
  const stop = async () => {
    const current = child;
    child = undefined;
    process.removeListener('exit', killOnExit);
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, restart: async () => (await stop(), await start()) };
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const args = [
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
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.removeListener('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) =>
      reject(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited (code ${code}) on port ${port}:\n${output}`)));
  });
}
