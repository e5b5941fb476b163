/** Something that ends at a deadline: a socket or a live stream whose token expires. */
export type Expiring = { expire(): void };

/** Deadlines falling in the same tick share one entry; one fires at the first tick at or after it, never before. */
const TICK_MS = 100;
/** Node timers hold at most 2^31-1 ms: a later deadline re-arms when that runs out. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Every token expiry of the process (sockets and live streams) on one timer. A Node timer each
 * costs a Timeout, its closure and that closure's context, ~250 B, twice per graphql-ws
 * subscription (its socket's and its stream's): a 100,000-socket process would keep 50 MB of
 * timers that almost never fire. Here a deadline is an entry in its tick's Set, and the one timer
 * waits for the earliest tick.
 */
export class Deadlines {
  private readonly ticks = new Map<number, Set<Expiring>>();
  private timer: NodeJS.Timeout | undefined;
  /** The tick the timer is armed for (Infinity: not armed). */
  private armedFor = Number.POSITIVE_INFINITY;

  /** `item.expire()` at `at` (ms since the epoch), unless deleted first. */
  add(item: Expiring, at: number) {
    const tick = Math.ceil(at / TICK_MS);
    let due = this.ticks.get(tick);
    if (!due) this.ticks.set(tick, (due = new Set()));
    due.add(item);
    if (tick < this.armedFor) this.arm(tick);
  }

  /** Forgets `item`'s deadline `at` (the same value given to `add`). */
  delete(item: Expiring, at: number) {
    const tick = Math.ceil(at / TICK_MS);
    const due = this.ticks.get(tick);
    if (due?.delete(item) && due.size === 0) this.ticks.delete(tick);
  }

  get size() {
    let n = 0;
    for (const due of this.ticks.values()) n += due.size;
    return n;
  }

  private arm(tick: number) {
    clearTimeout(this.timer);
    this.armedFor = tick;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, tick * TICK_MS - Date.now()), MAX_DELAY_MS));
    // Sockets and streams keep the process alive, not their expiry.
    this.timer.unref();
  }

  private fire() {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [tick, due] of this.ticks) {
      if (tick * TICK_MS > now) {
        next = Math.min(next, tick);
        continue;
      }
      this.ticks.delete(tick);
      for (const item of due) item.expire();
    }
    // An `expire()` may have added a deadline (and armed the timer) meanwhile.
    if (next < this.armedFor) this.arm(next);
  }
}

/** The process's deadlines: one timer for all of them. */
export const deadlines = new Deadlines();
