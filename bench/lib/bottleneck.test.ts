import { describe, expect, it } from 'vitest';
import { bottleneckOf } from './bottleneck';
import type { PhaseResult } from './phase';

const cores = { serverCore: '0', loadCore: '1' };
const step = (server: number, core0: number, core1: number) =>
  ({ serverCpuPct: server, corePct: { cpu0: core0, cpu1: core1 } }) as unknown as PhaseResult;

describe('bottleneckOf', () => {
  it('names the server when its process fills its core, whatever else is busy', () => {
    expect(bottleneckOf(step(93, 97, 95), cores).core).toBe('server');
    expect(bottleneckOf(step(93, 97, 95), cores, true).core).toBe('server');
  });

  it('with the generators on the load core alone, a full load core is the bottleneck', () => {
    expect(bottleneckOf(step(60, 62, 92), cores).core).toBe('load');
    expect(bottleneckOf(step(60, 95, 40), cores).core).toBe('shared');
  });

  it('with spilled generators, the load side is full only when the server core is full too', () => {
    // The generators still had the server core's idle time: the search goes on.
    expect(bottleneckOf(step(70, 80, 95), cores, true).core).toBe('none');
    // Idle-priority generators filling the server core limit nothing.
    expect(bottleneckOf(step(70, 96, 60), cores, true).core).toBe('none');
    expect(bottleneckOf(step(82, 96, 94), cores, true)).toMatchObject({ core: 'load', spilled: true });
  });
});
