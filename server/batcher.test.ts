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
  it('the keys of one turn go together at its end while few loads run; beyond that, the waiting keys go together when one finishes', async () => {
    const { load, calls } = manualLoad();
    const get = createBatcher(load, { maxInFlight: 2, maxBatch: 3 });
    const answers = ['a', 'b', 'c', 'd', 'c', 'e', 'f', 'g'].map((k) => get(k));
    // Nothing is sent before the turn ends.
    expect(calls).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    // At most 3 asked keys per load (a key asked twice in one load is loaded once), 2 loads at once.
    expect(calls.map((c) => c.keys)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'c', 'e'],
    ]);
    // Asked meanwhile: waits for a load to finish, with the others.
    answers.push(get('h'));
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(2);
    calls[0].finish();
    await new Promise((r) => setImmediate(r));
    expect(calls[2].keys).toEqual(['f', 'g', 'h']);
    calls[1].finish();
    calls[2].finish();
    expect(await Promise.all(answers)).toEqual(['A', 'B', 'C', 'D', 'C', 'E', 'F', 'G', 'H']);
  });

  it('a key asked on a quiet batcher is loaded at the end of the same turn, before any timer', async () => {
    const { load, calls } = manualLoad();
    const get = createBatcher(load, { maxInFlight: 1, maxBatch: 10 });
    const answer = get('a');
    await new Promise((r) => setImmediate(r));
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
    calls[0].finish();
    expect(await answer).toBe('A');
  });

  it('a failed load fails its own keys only; a missing key is undefined', async () => {
    const { load, calls } = manualLoad();
    const get = createBatcher(load, { maxInFlight: 1, maxBatch: 1 });
    const first = get('a');
    const second = get('b');
    await new Promise((r) => setImmediate(r));
    calls[0].finish(new Error('down'));
    await expect(first).rejects.toThrow('down');
    await new Promise((r) => setImmediate(r));
    calls[1].finish();
    expect(await second).toBe('B');
    const none = createBatcher(async () => new Map<string, string>(), { maxInFlight: 1, maxBatch: 1 });
    expect(await none('x')).toBeUndefined();
  });
});
