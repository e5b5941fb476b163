import { describe, expect, it } from 'vitest';
import { compareCursors, formatCursor, parseCursor } from './cursor';

describe('cursor', () => {
  it('round-trips and orders by commit position, then row', () => {
    const a = parseCursor('10.5');
    expect(formatCursor(a)).toBe('10.5');
    expect(compareCursors(parseCursor('9.100'), a)).toBeLessThan(0);
    expect(compareCursors(parseCursor('10.6'), a)).toBeGreaterThan(0);
    expect(compareCursors(parseCursor('10.5'), a)).toBe(0);
  });

  it('refuses anything that is not one of ours, with BAD_USER_INPUT', () => {
    for (const bad of ['', 'abc', '1', '1.2.3', '-1.2', `${'9'.repeat(21)}.1`, '1.9223372036854775808']) {
      expect(() => parseCursor(bad)).toThrowError(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
      );
    }
  });
});
