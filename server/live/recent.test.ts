import { describe, expect, it } from 'vitest';
import { type Cursor, formatCursor } from './cursor';
import type { LiveEvent } from './event';
import { RecentEvents } from './recent';

const at = (pos: number, id: number): Cursor => ({ pos: BigInt(pos), id: BigInt(id) });
const event = (cursor: Cursor, courseId = 'c1', occurredAt = new Date()): LiveEvent => ({
  cursor: formatCursor(cursor),
  prev: null,
  topic: 'grade',
  action: 'UPDATED',
  courseId,
  audienceUserId: null,
  entityId: 'e',
  data: {},
  occurredAt: occurredAt.toISOString(),
});
const DAY = 86_400_000;
const all = () => true;
const cursors = (r: { events: LiveEvent[] }) => r.events.map((e) => e.cursor);

describe('the hub’s recent events', () => {
  it('holds every event after its start, and reads from any cursor inside, between events or on one', () => {
    const recent = new RecentEvents(10, at(5, 0), DAY);
    for (const c of [at(5, 1), at(5, 2), at(7, 3), at(9, 4)]) recent.push(event(c), c);
    expect(recent.covers(at(4, 9))).toBe(false); // before the hub started: the outbox has it
    expect(recent.covers(at(5, 0))).toBe(true);
    expect(cursors(recent.after(at(5, 0), all))).toEqual(['5.1', '5.2', '7.3', '9.4']);
    expect(cursors(recent.after(at(5, 2), all))).toEqual(['7.3', '9.4']);
    expect(cursors(recent.after(at(6, 0), all))).toEqual(['7.3', '9.4']);
    expect(recent.after(at(6, 0), all).through).toEqual(at(9, 4));
    expect(recent.after(at(9, 4), all)).toEqual({ events: [], through: at(9, 4) });
  });

  it('drops the oldest past its capacity, and no longer covers cursors before what it dropped', () => {
    const recent = new RecentEvents(3, at(1, 0), DAY);
    for (let i = 1; i <= 7; i++) recent.push(event(at(i, i)), at(i, i));
    expect(recent.covers(at(4, 3))).toBe(false); // 4.4 was dropped: a read after 4.3 would miss it
    expect(recent.covers(at(4, 4))).toBe(true);
    expect(cursors(recent.after(at(4, 4), all))).toEqual(['5.5', '6.6', '7.7']);
    expect(cursors(recent.after(at(6, 6), all))).toEqual(['7.7']);
  });

  it('keeps only what the filter accepts, but reads through everything held', () => {
    const recent = new RecentEvents(4, at(0, 0), DAY);
    recent.push(event(at(1, 1), 'a'), at(1, 1));
    recent.push(event(at(2, 2), 'b'), at(2, 2));
    const read = recent.after(at(0, 0), (e) => e.courseId === 'a');
    expect(cursors(read)).toEqual(['1.1']);
    expect(read.through).toEqual(at(2, 2));
  });

  it('reads up to a cursor (a resuming subscription’s seam), on an event or between two', () => {
    const recent = new RecentEvents(10, at(0, 0), DAY);
    for (const c of [at(1, 1), at(2, 2), at(4, 3)]) recent.push(event(c), c);
    const upToEvent = recent.after(at(0, 0), all, at(2, 2));
    expect(cursors(upToEvent)).toEqual(['1.1', '2.2']);
    expect(upToEvent.through).toEqual(at(2, 2));
    expect(cursors(recent.after(at(0, 0), all, at(3, 0)))).toEqual(['1.1', '2.2']);
    expect(recent.after(at(2, 2), all, at(2, 2))).toEqual({ events: [], through: at(2, 2) });
    // The very objects the hub dispatched: subscribers resuming together share their executions.
    expect(recent.after(at(0, 0), all, at(4, 3)).events[2]).toBe(recent.after(at(2, 2), all).events[0]);
  });

  it('with no room, covers nothing before the last event', () => {
    const recent = new RecentEvents(0, at(1, 0), DAY);
    recent.push(event(at(2, 1)), at(2, 1));
    expect(recent.covers(at(2, 0))).toBe(false);
    expect(recent.covers(at(2, 1))).toBe(true);
    expect(recent.after(at(2, 1), all)).toEqual({ events: [], through: at(2, 1) });
  });

  it('drops what is older than the outbox keeps: a cursor retention may have pruned is not covered', () => {
    const recent = new RecentEvents(10, at(1, 0), DAY);
    const now = Date.now();
    recent.push(event(at(2, 1), 'c1', new Date(now - 2 * DAY)), at(2, 1));
    recent.push(event(at(3, 2), 'c1', new Date(now - DAY / 2)), at(3, 2));
    expect(recent.covers(at(1, 0), now)).toBe(false);
    expect(recent.covers(at(2, 1), now)).toBe(true);
    expect(cursors(recent.after(at(2, 1), all))).toEqual(['3.2']);
  });
});
