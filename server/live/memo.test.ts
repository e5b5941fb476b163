import { describe, expect, it } from 'vitest';
import { memo } from './memo';

describe('memo', () => {
  it('loads once per event and key', async () => {
    const event = {};
    let loads = 0;
    const load = async () => ++loads;
    expect(await memo(event, 'row', load)).toBe(1);
    expect(await memo(event, 'row', load)).toBe(1);
    expect(await memo(event, 'other', load)).toBe(2);
    expect(await memo({}, 'row', load)).toBe(3);
  });

  it('forgets a load that failed, so the next reader of a kept event tries again', async () => {
    const event = {};
    await expect(memo(event, 'row', () => Promise.reject(new Error('connection reset')))).rejects.toThrow();
    expect(await memo(event, 'row', async () => 'row')).toBe('row');
  });
});
