import type { PhaseResult } from './phase';

/** A core (or the server process on its core) busier than this, per cent, is taken as saturated. */
export const SATURATED_PCT = 90;

export type Bottleneck = {
  /**
   * What limited the step: the server process filling its core (`server`); the load core —
   * generators, writer, Postgres, Redis — while the server had room (`load`); the server's core
   * filled by other work on the machine (`shared`); nothing saturated (`none`).
   */
  core: 'server' | 'load' | 'shared' | 'none';
  serverCorePct: number;
  loadCorePct: number;
  /** The server processes' own share of their core (the rest of its busy time is other work). */
  serverProcessPct: number;
  /** The generators also ran on the server's core, at idle priority (load.ts `Spill`). */
  spilled: boolean;
};

/**
 * Which side limited a phase, from the per-core busy time (/proc/stat) and the server's own CPU
 * time the harness records. Only a step the server process saturated itself measures the server:
 * a search that stops on a saturated load core measures the machine.
 */
export function bottleneckOf(
  p: PhaseResult,
  cores: { serverCore: string; loadCore: string },
  spilled = false,
): Bottleneck {
  const serverCorePct = p.corePct[`cpu${cores.serverCore}`] ?? 0;
  const loadCorePct = p.corePct[`cpu${cores.loadCore}`] ?? 0;
  const serverProcessPct = p.serverCpuPct;
  const full = (pct: number) => pct >= SATURATED_PCT;
  // Spilled generators fill whatever the server leaves of its core: that core's busy time limits
  // nothing until the load core is full too, and then it is the load side that is.
  const core = full(serverProcessPct)
    ? 'server'
    : full(loadCorePct) && (!spilled || full(serverCorePct))
      ? 'load'
      : full(serverCorePct) && !spilled
        ? 'shared'
        : 'none';
  return { core, serverCorePct, loadCorePct, serverProcessPct, spilled };
}

/** Whether a saturation figure at this step would be the server's own. */
export const measuresTheServer = (b: Bottleneck) => b.core === 'server' || b.core === 'none';

const WHAT = {
  server: 'server core (the server process filled it)',
  load: 'load core',
  shared: 'server core, filled by other work on the machine',
  none: 'neither core saturated',
};

export function describeBottleneck(b: Bottleneck): string {
  const what =
    b.core === 'load' && b.spilled ? 'load side (the load core and what the server left of its own)' : WHAT[b.core];
  const spilled = b.spilled ? ', generators also on the server core at idle priority' : '';
  return `${what}: server process ${b.serverProcessPct} % of its core (core ${b.serverCorePct} % busy${spilled}), load core ${b.loadCorePct} %`;
}
