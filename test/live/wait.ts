/** Waiting on conditions, never on the clock alone. */

export class TimeoutError extends Error {}

/**
 * Resolves with the first truthy value of `check`, evaluated now and then every `intervalMs`
 * (a condition poll, for state that has no event to listen to, e.g. "is this instance leading").
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 10, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** An async list a test can await: "N items", "an item like this", or "closed". */
export class Collector<T> {
  readonly items: T[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  push(item: T) {
    this.items.push(item);
    this.notify();
  }

  /** Re-evaluates pending waits (call when something besides `items` changed). */
  notify() {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `check` holds (checked at once and after every change). */
  until(check: () => boolean, timeoutMs = 15_000, what = 'items'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what} (have ${this.items.length})`));
      }, timeoutMs);
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves with the items once there are at least `n`. */
  async count(n: number, timeoutMs?: number): Promise<T[]> {
    await this.until(() => this.items.length >= n, timeoutMs, `${n} items`);
    return this.items;
  }

  /** Resolves with the first item (from the start) that matches. */
  async find(predicate: (item: T) => boolean, timeoutMs?: number, what = 'a matching item'): Promise<T> {
    await this.until(() => this.items.some(predicate), timeoutMs, what);
    return this.items.find(predicate)!;
  }
}
