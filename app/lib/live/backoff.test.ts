import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, createWaker } from './backoff';

describe('backoffDelay', () => {
  it('doubles from about 1 s up to 30 s, each delay drawn from [½, 1] of its ceiling', () => {
    const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    ceilings.forEach((ceiling, attempt) => {
      expect(backoffDelay(attempt, 1_000, 30_000, () => 0)).toBe(ceiling / 2);
      expect(backoffDelay(attempt, 1_000, 30_000, () => 1)).toBe(ceiling);
    });
    expect(backoffDelay(1_000)).toBeLessThanOrEqual(30_000); // no overflow after days offline
    expect(backoffDelay(-3, 1_000, 30_000, () => 1)).toBe(1_000);
  });

  it('spreads clients that failed together (jitter)', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(4, 1_000, 30_000, random)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(8_000), expect(d).toBeLessThanOrEqual(16_000);
  });
});

describe('createWaker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sleeps for the time asked', async () => {
    const waker = createWaker();
    let woke = false;
    void waker.sleep(5_000).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(woke).toBe(true);
  });

  it('ends every pending sleep at once on wake(), and only those', async () => {
    const waker = createWaker();
    const woken: string[] = [];
    void waker.sleep(30_000).then(() => woken.push('a'));
    void waker.sleep(10_000).then(() => woken.push('b'));
    waker.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(woken.sort()).toEqual(['a', 'b']);
    let later = false;
    void waker.sleep(1_000).then(() => (later = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(later).toBe(false);
    expect(vi.getTimerCount()).toBe(1); // the woken sleeps left no timer behind
  });
});
