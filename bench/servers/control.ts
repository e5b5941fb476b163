import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';

/** Requests a harness may send over an IPC channel (`stdio: [..., 'ipc']`); each gets one reply. */
export type ControlRequest = { type: 'memory' } | { type: 'snapshot'; path: string };
export type ControlReply =
  | { type: 'memory'; usage: NodeJS.MemoryUsage; heap: ReturnType<typeof getHeapStatistics>; spaces: { name: string; used: number; committed: number }[] }
  | { type: 'snapshot'; path: string; ms: number };

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** Full collections half a second apart: weak callbacks, finalizers and the concurrent sweeper of one have run before the next. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * What every bench server shares with the harness: it prints `READY <port>` once listening,
 * collects garbage on SIGUSR2 (started with --expose-gc, so idle memory is read after a full GC),
 * and stops cleanly on SIGTERM/SIGINT (so `--cpu-prof` can write its profile). A harness that
 * spawns it with an IPC channel (bench/idle-heap.ts) can also ask for memory figures or a heap
 * snapshot, both after a full GC.
 */
export function serveControl(port: number, stop: () => Promise<void>) {
  process.on('SIGUSR2', () => gc());
  if (process.send) {
    process.on('message', async (request: ControlRequest) => {
      await settle();
      if (request.type === 'memory') {
        const spaces = getHeapSpaceStatistics().map((s) => ({ name: s.space_name, used: s.space_used_size, committed: s.physical_space_size }));
        process.send!({ type: 'memory', usage: process.memoryUsage(), heap: getHeapStatistics(), spaces } satisfies ControlReply);
      } else if (request.type === 'snapshot') {
        const started = Date.now();
        writeHeapSnapshot(request.path);
        process.send!({ type: 'snapshot', path: request.path, ms: Date.now() - started } satisfies ControlReply);
      }
    });
    // The channel must not keep a stopping server alive; a harness that went away stops it.
    process.channel?.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
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
