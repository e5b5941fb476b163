import { type Cursor, isAfter } from './cursor';
import type { LiveEvent } from './event';

/**
 * The last `capacity` events the hub dispatched, in cursor order: one log that every poller reads
 * from its own cursor (as PgQ consumers share one queue table, each with its own position), so a
 * crowd of pollers asking for new events costs no outbox read at all — each applies its own
 * authorization to the shared events in memory (live/polling.ts), where Hasura's multiplexed live
 * queries run one SQL statement with each cohort's session variables.
 *
 * Invariant: every outbox event after `from` and at or before the newest one held is held. It
 * holds nothing older than the outbox keeps (retention), so a cursor it covers is never one a
 * replay from the outbox would answer with a resync.
 */
export class RecentEvents {
  // A ring: `head` is the oldest event's slot, `size` how many are held.
  private readonly events: LiveEvent[];
  private readonly cursors: Cursor[];
  private head = 0;
  private size = 0;
  /** Every event after this cursor is held (the hub's start cursor, then the last event dropped). */
  private from: Cursor;

  constructor(
    private readonly capacity: number,
    start: Cursor,
    /** Events older than this are dropped (the outbox's retention period). */
    private readonly maxAgeMs: number,
  ) {
    this.events = new Array(capacity);
    this.cursors = new Array(capacity);
    this.from = start;
  }

  /** The next event in cursor order (the hub dispatches in order, each event once). */
  push(event: LiveEvent, cursor: Cursor) {
    if (this.capacity === 0) {
      this.from = cursor;
      return;
    }
    const slot = (this.head + this.size) % this.capacity;
    if (this.size === this.capacity) this.dropOldest();
    this.size += 1;
    this.events[slot] = event;
    this.cursors[slot] = cursor;
  }

  /** Whether every event after `after` that the hub has dispatched is held here. */
  covers(after: Cursor, now = Date.now()): boolean {
    while (this.size > 0 && Date.parse(this.events[this.head].occurredAt) < now - this.maxAgeMs) this.dropOldest();
    return !isAfter(this.from, after);
  }

  private dropOldest() {
    this.from = this.cursors[this.head];
    this.events[this.head] = undefined as unknown as LiveEvent; // no longer held: let it be collected
    this.head = (this.head + 1) % this.capacity;
    this.size -= 1;
  }

  /**
   * The held events after `after` (which `covers`) and up to `upTo` (all held, if not given) that
   * `keep` accepts, oldest first; `through` is the newest event looked at (or `after`): every
   * event up to it was looked at.
   */
  after(after: Cursor, keep: (event: LiveEvent) => boolean, upTo?: Cursor): { events: LiveEvent[]; through: Cursor } {
    const events: LiveEvent[] = [];
    let through = after;
    for (let i = this.firstAfter(after); i < this.size; i++) {
      const slot = (this.head + i) % this.capacity;
      if (upTo && isAfter(this.cursors[slot], upTo)) break;
      through = this.cursors[slot];
      const event = this.events[slot];
      if (keep(event)) events.push(event);
    }
    return { events, through };
  }

  /** Binary search: the index (0 = oldest) of the first held event after `after`. */
  private firstAfter(after: Cursor): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isAfter(this.cursors[(this.head + mid) % this.capacity], after)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
