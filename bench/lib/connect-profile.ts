import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monoMicros } from './hist';
import { type ManyPlan, manySession, openSockets } from './many';
import { cpuSeconds, round } from './procfs';
import { analyseProfile, type CpuProfile, forEachStack, moduleOf, type ProfileNode } from './profile';
import type { Context } from './scenarios';
import { PROFILE_DIR } from './systems';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where a connection's time goes (issue 17, items 2 and 5: (j) misses 5,000 connections/s, so the
 * results show the profile). Each busy sample goes to the group of the innermost frame on its stack
 * that one of these owns: the JWT check's HMAC (node:crypto) counts as authentication because
 * tokens.ts called it, a socket write as the graphql-ws message that wrote it, and a postgres
 * driver callback as the driver even when a membership load started it.
 */
const OWNERS: { group: string; owns: (module: string, fn: string) => boolean }[] = [
  {
    group: 'authentication: JWT check, session, memberships (server/auth)',
    owns: (m) => m.startsWith('server/auth/') || m === 'fast-jwt' || m === 'jose',
  },
  { group: 'postgres driver (postgres, drizzle-orm)', owns: (m) => m === 'postgres' || m === 'drizzle-orm' },
  {
    group: 'subscribe / execute (graphql, Yoga, Pothos, server/live, server/schema)',
    owns: (m) =>
      ['graphql', 'graphql-yoga', 'dataloader'].includes(m) ||
      /^@(pothos|graphql-yoga|envelop|whatwg-node|escape\.tech|graphql-tools)\//.test(m) ||
      /^server\/(live|schema)\//.test(m) ||
      ['server/yoga.ts', 'server/context.ts', 'server/batcher.ts', 'server/validate.ts'].includes(m),
  },
  {
    group: 'graphql-ws messages (server/transport, graphql-ws)',
    owns: (m) => m.startsWith('server/transport/') || m === 'graphql-ws',
  },
  {
    group: 'HTTP upgrade (node:_http_*, ws handshake)',
    owns: (m, fn) => m.startsWith('node:_http') || (m === 'ws' && /upgrade|handshake|^WebSocket$|setSocket/i.test(fn)),
  },
  { group: 'WebSocket frames (ws: Receiver, Sender, pings, with their socket writes)', owns: (m) => m === 'ws' },
];

/** A sample no owner claims: garbage collection, Node's sockets, V8 outside JS, or the rest. */
function unowned(stack: ProfileNode[]): string {
  const leaf = stack[0].callFrame.functionName;
  if (leaf === '(garbage collector)') return 'GC';
  if (leaf === '(program)') return 'V8 and native, outside JS ((program))';
  const modules = stack.map((n) => moduleOf(n.callFrame.url, n.callFrame.functionName));
  if (modules.some((m) => /^node:(net|internal\/stream|stream|internal\/streams|internal\/net)/.test(m)))
    return 'TCP accept, socket reads and writes (node:net, streams)';
  if (modules.some((m) => !m.startsWith('node:') && !m.startsWith('(')))
    return 'other JS (metrics, logging, app wiring)';
  return 'other Node internals (microtask and timer machinery, events)';
}

export function groupOf(stack: ProfileNode[]): string {
  for (const node of stack) {
    const { url, functionName } = node.callFrame;
    if (!url) continue; // native and builtins: counted where JS called them
    const module = moduleOf(url, functionName);
    const owner = OWNERS.find((o) => o.owns(module, functionName));
    if (owner) return owner.group;
  }
  return unowned(stack);
}

/**
 * µs per connection by group, and the top functions by self time, of a profile taken while
 * `connections` opened; only `window` (µs, CLOCK_MONOTONIC like V8's profile clock) counts, so the
 * profiler's own start and stop (`dispatch` under node:inspector) stay out.
 */
export function connectionProfile(profile: CpuProfile, connections: number, window?: { from: number; to: number }) {
  const byGroup = new Map<string, number>();
  let busy = 0;
  forEachStack(
    profile,
    (stack, us) => {
      const group = groupOf(stack);
      byGroup.set(group, (byGroup.get(group) ?? 0) + us);
      busy += us;
    },
    window,
  );
  const per = (us: number) => round(us / Math.max(1, connections), 1);
  return {
    connections,
    busyMicrosPerConnection: per(busy),
    groups: [...byGroup]
      .sort((a, b) => b[1] - a[1])
      .map(([group, us]) => ({ group, microsPerConnection: per(us), pct: round((100 * us) / Math.max(1, busy), 1) })),
    functions: analyseProfile(profile, 12, window).functions.map((f) => ({
      name: f.name,
      microsPerConnection: per(f.ms * 1000),
      pct: f.pct,
    })),
  };
}

export type ConnectProfile = Awaited<ReturnType<typeof profileOpening>>;

/**
 * V8's sampling interval here: at 200 µs (idle-heap.ts's) the profiled server spent 920 µs of CPU
 * per connection against 464 unprofiled, 629 of them in samples; every sample walks a deep stack.
 * 19,700 connections still leave ~10,000 samples at 1 ms.
 */
const SAMPLE_MICROS = 1000;

/**
 * (j)'s opening again, on a fresh Homeroom server under V8's CPU profiler (started and stopped
 * through its control channel around the opening only): the measured opening runs without the
 * profiler, so its overhead stays out of the figures, and the report spreads the measured CPU per
 * connection over the profile's shares.
 */
export async function profileOpening(ctx: Context, plan: ManyPlan) {
  ctx.log(`  (j) homeroom again under the CPU profiler, while ${plan.sockets} sockets open`);
  const session = await manySession(ctx, 'homeroom', plan, { control: true });
  const control = session.system.control!;
  const [pid] = session.system.pids;
  try {
    const path = `${PROFILE_DIR}many-connect-${Date.now()}.cpuprofile`;
    await control({ type: 'cpu-profile-start', intervalMicros: SAMPLE_MICROS });
    const window = { from: monoMicros(), to: 0 };
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    const opened = await openSockets(ctx, 'homeroom', plan, session);
    const serverCpu = cpuSeconds(pid) - cpu0;
    window.to = monoMicros();
    await control({ type: 'cpu-profile-stop', path });
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    let summary = connectionProfile(profile, opened.connected, window);
    if (summary.busyMicrosPerConnection === 0) summary = connectionProfile(profile, opened.connected); // clocks disagree: whole profile
    const result = {
      file: relative(REPO, path),
      sampleMicros: SAMPLE_MICROS,
      subscriptions: opened.subscriptions,
      connectionsPerSecond: round((opened.connected * 1000) / (opened.acked - t0), 0),
      /** The profiled server's own CPU (/proc) per connection, profiler included. */
      serverCpuMicrosPerConnection: round((serverCpu * 1e6) / Math.max(1, opened.connected), 0),
      ...summary,
    };
    ctx.log(
      `  (j) connect profile ${result.file}: ${result.connectionsPerSecond} connections/s, ${result.busyMicrosPerConnection} µs in samples per connection (server CPU ${result.serverCpuMicrosPerConnection}); ` +
        result.groups
          .slice(0, 6)
          .map((g) => `${g.group.replace(/ \(.*$/, '')} ${g.microsPerConnection}`)
          .join(', '),
    );
    return result;
  } finally {
    await ctx.release(session.gens.stop, session.system.stop);
  }
}
