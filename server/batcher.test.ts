import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher';

/** A load the test finishes by hand, recording the keys of each call. */
function manualLoad() {
  const calls: { keys: string[]; finish(error?: Error): void }[] = [];
  const load = (keys: string[]) =>
    new Promise<Map<string, string>>((resolve, reject) =>
      calls.push({
        keys,
        finish: (error) => (error ? reject(error) : resolve(new Map(keys.map((k) => [k, k.toUpperCase()])))),
      }),
    );
  return { load, calls };
}

describe('batcher', () => {
  it('loads at once while few loads run; beyond that, the waiting keys go together when one finishes', async () => {
    const { load, calls } = manualLoad();
    const get = createBatcher(load, { maxInFlight: 2, maxBatch: 3 });
    const answers = ['a', 'b', 'c', 'd', 'c', 'e', 'f'].map((k) => get(k));
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b']]);
    calls[0].finish();
    await Promise.resolve();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    // At most 3 waiting keys per load (the repeated one asked once).
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b'], ['c', 'd']]);
    calls[1].finish();
    await new Promise((r) => setImmediate(r));
    expect(calls[3].keys).toEqual(['e', 'f']);
    calls[2].finish();
    calls[3].finish();
    expect(await Promise.all(answers)).toEqual(['A', 'B', 'C', 'D', 'C', 'E', 'F']);
  });

  it('a failed load fails its own keys only; a missing key is undefined', async () => {
    const { load, calls } = manualLoad();
    const get = createBatcher(load, { maxInFlight: 1, maxBatch: 10 });
    const first = get('a');
    const second = get('b');
    calls[0].finish(new Error('down'));
    await expect(first).rejects.toThrow('down');
    await new Promise((r) => setImmediate(r));
    calls[1].finish();
    expect(await second).toBe('B');
    const none = createBatcher(async () => new Map<string, string>(), { maxInFlight: 1, maxBatch: 1 });
    expect(await none('x')).toBeUndefined();
  });
});
