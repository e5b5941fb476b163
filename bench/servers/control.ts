/**
 * What every bench server shares with the harness: it prints `READY <port>` once listening,
 * collects garbage on SIGUSR2 (started with --expose-gc, so idle memory is read after a full GC),
 * and stops cleanly on SIGTERM/SIGINT (so `--cpu-prof` can write its profile).
 */
export function serveControl(port: number, stop: () => Promise<void>) {
  process.on('SIGUSR2', () => (globalThis as { gc?: () => void }).gc?.());
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  process.stdout.write(`READY ${port}\n`);
}
