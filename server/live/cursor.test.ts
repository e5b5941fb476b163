import { describe, expect, it } from 'vitest';
import { compareCursors, formatCursor, parseCursor } from './cursor';
import { canSee } from './event';

describe('cursor', () => {
  it('round-trips and orders by transaction, then row', () => {
    const a = parseCursor('10.5');
    expect(formatCursor(a)).toBe('10.5');
    expect(compareCursors(parseCursor('9.100'), a)).toBeLessThan(0);
    expect(compareCursors(parseCursor('10.6'), a)).toBeGreaterThan(0);
    expect(compareCursors(parseCursor('10.5'), a)).toBe(0);
  });

  it('refuses anything that is not one of ours, with BAD_USER_INPUT', () => {
    for (const bad of ['', 'abc', '1', '1.2.3', '-1.2', `${'9'.repeat(21)}.1`]) {
      expect(() => parseCursor(bad)).toThrowError(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
      );
    }
  });
});

describe('canSee', () => {
  const grade = { topic: 'grade' as const, audienceUserId: 'sam' };
  it('shows a grade to its student and the course staff only', () => {
    expect(canSee(grade, 'sam', 'STUDENT')).toBe(true);
    expect(canSee(grade, 'ada', 'STUDENT')).toBe(false);
    expect(canSee(grade, 'irene', 'INSTRUCTOR')).toBe(true);
    expect(canSee(grade, 'avery', 'ADMIN')).toBe(true);
    expect(canSee(grade, 'sam', null)).toBe(false);
  });
  it('shows course content to members, notifications to their user, membership to nobody', () => {
    expect(canSee({ topic: 'content', audienceUserId: null }, 'ada', 'STUDENT')).toBe(true);
    expect(canSee({ topic: 'poll', audienceUserId: null }, 'ada', null)).toBe(false);
    expect(canSee({ topic: 'notification', audienceUserId: 'ada' }, 'ada', null)).toBe(true);
    expect(canSee({ topic: 'notification', audienceUserId: 'ada' }, 'sam', 'ADMIN')).toBe(false);
    expect(canSee({ topic: 'membership', audienceUserId: 'ada' }, 'ada', 'STUDENT')).toBe(false);
  });
});
