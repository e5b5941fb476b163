// Waiting between attempts: exponential backoff with jitter, and sleeps that a "try now" signal
// (the browser came online, the tab became visible, the person pressed Refresh) cuts short.

/** About `firstMs` doubling per attempt up to `maxMs`, each drawn from [½, 1] of that ("equal jitter"). */
export function backoffDelay(attempt: number, firstMs = 1_000, maxMs = 30_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type Waker = { sleep(ms: number): Promise<void>; wake(): void };

/** Sleeps that end early on wake(). */
export function createWaker(): Waker {
  const pending = new Set<() => void>();
  return {
    sleep(ms) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pending.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        pending.add(done);
      });
    },
    wake() {
      for (const done of [...pending]) done();
    },
  };
}
