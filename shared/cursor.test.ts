import { describe, expect, it } from 'vitest';
import {
  compareCursors,
  comparePositions,
  formatCursor,
  isAfter,
  maxCursor,
  minCursor,
  ORIGIN,
  readCursor,
} from './cursor';

// Past 2^53 a float cannot tell these apart; a string comparison would order "10.1" before "9.1".
const BIG = '9223372036854775807'; // 2^63 - 1, the widest cursor part (a Postgres bigint)
const BIG_MINUS_ONE = '9223372036854775806';

describe('cursor', () => {
  it('reads and formats "<pos>.<id>", and nothing else', () => {
    expect(readCursor(`${BIG}.${BIG}`)).toEqual({ pos: 9223372036854775807n, id: 9223372036854775807n });
    expect(formatCursor(readCursor('10.5')!)).toBe('10.5');
    for (const bad of ['', 'abc', '1', '1.2.3', '-1.2', '1.2 ', `${'9'.repeat(21)}.1`])
      expect(readCursor(bad)).toBeNull();
  });

  // Regression (issue 18.5): these read as cursors and overflowed in Postgres (INTERNAL_SERVER_ERROR).
  it('refuses parts past a Postgres bigint', () => {
    for (const bad of [
      '1.9223372036854775808',
      '9223372036854775808.1',
      '18446744073709551615.1',
      '99999999999999999999.1',
    ])
      expect(readCursor(bad)).toBeNull();
  });

  it('orders by transaction, then by row, as numbers', () => {
    expect(compareCursors('9.100', '10.5')).toBeLessThan(0);
    expect(compareCursors('10.6', '10.5')).toBeGreaterThan(0);
    expect(compareCursors('10.5', '10.5')).toBe(0);
    expect(compareCursors(`${BIG_MINUS_ONE}.9`, `${BIG}.1`)).toBeLessThan(0);
    expect(compareCursors(`1.${BIG}`, `1.${BIG_MINUS_ONE}`)).toBeGreaterThan(0);
    expect(comparePositions(ORIGIN, readCursor('0.1')!)).toBeLessThan(0);
  });

  it('puts a missing or unreadable cursor first', () => {
    expect(isAfter('1.1', undefined)).toBe(true);
    expect(isAfter(undefined, '1.1')).toBe(false);
    expect(isAfter('garbage', '1.1')).toBe(false);
    expect(compareCursors(null, undefined)).toBe(0);
  });

  it('picks the later and the earliest', () => {
    expect(maxCursor('2.1', '10.1')).toBe('10.1');
    expect(maxCursor('10.1', undefined)).toBe('10.1');
    expect(maxCursor(undefined, null)).toBeNull();
    expect(minCursor(['10.1', undefined, '9.9', `${BIG}.0`])).toBe('9.9');
    expect(minCursor([undefined, null])).toBeNull();
  });
});
