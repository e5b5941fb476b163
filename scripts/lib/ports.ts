import { connect, createServer } from 'node:net';

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port the OS says is free right now (bind to 0, read it, release it). */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Resolves once the port accepts connections. Rejects after `timeoutMs`, or as soon as `abort`
 * settles (e.g. the child that should listen there exited).
 */
export async function waitForPort(
  port: number,
  options: { timeoutMs: number; abort?: Promise<unknown>; what: string },
): Promise<void> {
  let aborted = false;
  options.abort?.then(
    () => (aborted = true),
    () => (aborted = true),
  );
  const deadline = Date.now() + options.timeoutMs;
  while (!(await isPortInUse(port))) {
    if (aborted) throw new Error(`${options.what} stopped before listening on port ${port}`);
    if (Date.now() > deadline)
      throw new Error(`${options.what} did not listen on port ${port} within ${options.timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
