import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPhase } from './phase';
import { round } from './procfs';
import type { Context } from './scenarios';
import { PROFILE_DIR, QUERIES, startSystem } from './systems';

type CallFrame = { functionName: string; url: string; lineNumber: number };
export type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Which package (or repo file) a script URL belongs to. */
export function moduleOf(url: string, fn: string): string {
  if (!url) return `(${fn || 'native'})`.replace(/^\(\((.*)\)\)$/, '($1)');
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return path.startsWith(REPO) ? relative(REPO, path) : path;
}

/** "fn module:line", how every summary names a function. */
export function frameKey({ functionName, url, lineNumber }: CallFrame) {
  return `${functionName || '(anonymous)'} ${url ? `${moduleOf(url, functionName)}:${lineNumber + 1}` : ''}`.trim();
}

/**
 * Every busy sample (not `(idle)`) in `window` (µs on the profile's clock), with its stack from the
 * leaf up to below `(root)` and its time: what inclusive and grouped summaries add up.
 */
export function forEachStack(
  profile: CpuProfile,
  visit: (stack: ProfileNode[], us: number) => void,
  window?: { from: number; to: number },
) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (window && (at < window.from || at > window.to)) continue;
    const stack: ProfileNode[] = [];
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!;
      if (node.callFrame.functionName === '(root)') break;
      stack.push(node);
    }
    if (stack.length && stack[0].callFrame.functionName !== '(idle)') visit(stack, dt);
  }
}

/** Inclusive time (µs) per function: every function on a sample's stack gets its time once. */
export function inclusiveByFunction(profile: CpuProfile, window?: { from: number; to: number }) {
  const inclusive = new Map<string, number>();
  forEachStack(
    profile,
    (stack, dt) => {
      for (const key of new Set(stack.map((node) => frameKey(node.callFrame))))
        inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    },
    window,
  );
  return inclusive;
}

/** Self time per function and per module of a .cpuprofile, as shares of the busy (non-idle) time. */
export function analyseProfile(profile: CpuProfile, top = 25, window?: { from: number; to: number }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnTime = new Map<string, number>();
  const modTime = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (!node || (window && (at < window.from || at > window.to))) continue;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    const mod = moduleOf(url, functionName);
    const key = frameKey(node.callFrame);
    fnTime.set(key, (fnTime.get(key) ?? 0) + dt);
    modTime.set(mod, (modTime.get(mod) ?? 0) + dt);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: round(us / 1000, 1), pct: round((100 * us) / total, 1) }));
  return {
    busyMs: round(total / 1000, 0),
    idleMs: round(idle / 1000, 0),
    functions: rank(fnTime),
    modules: rank(modTime),
  };
}

/**
 * Scenario (a) again, on its own, with Homeroom under `node --cpu-prof` (the profiler's overhead
 * stays out of the measured numbers). The .cpuprofile stays in bench/.tmp/ (git-ignored).
 */
export async function summariseProfile(ctx: Context) {
  const o = ctx.options;
  ctx.log('== profile: homeroom under --cpu-prof, scenario (a)');
  const since = Date.now();
  const system = await startSystem('homeroom', {
    instances: 1,
    core: o.serverCore,
    env: ctx.env,
    sql: ctx.writer.sql,
    profile: true,
    log: ctx.log,
  });
  ctx.track(system.stop);
  const gens = await ctx.startGenerators();
  let phase = null;
  try {
    const specs = ctx.specs.slice(0, o.subscribers);
    await gens.connect({
      url: system.urls,
      ...QUERIES.homeroom,
      courses: o.courses,
      subscribers: specs,
      concurrency: 100,
    });
    const perCourse = new Array<number>(o.courses).fill(0);
    for (const s of specs) perCourse[s.courseIndex] += 1;
    const args = {
      gens,
      writer: ctx.writer,
      subscribersPerCourse: perCourse,
      serverPids: system.pids,
      postmasterPid: ctx.infra.postmasterPid,
      log: ctx.log,
    };
    await runPhase({
      ...args,
      label: 'profile warm-up',
      rate: o.courses * 2,
      seconds: 1,
      quietMs: 2000,
      log: () => {},
    });
    phase = await runPhase({ ...args, label: 'profiled (a)', rate: o.steadyRate, seconds: o.profileSeconds });
  } finally {
    await ctx.release(gens.stop, system.stop);
  }
  return analyseLatest(ctx, since, phase);
}

/** Reads the newest Homeroom .cpuprofile written since `since`, restricted to the phase's window. */
export function analyseLatest(
  ctx: Context,
  since: number,
  phase: { t0: number; spanSeconds: number; delivered: number; serverCpuMicrosPerDelivery: number | null } | null,
) {
  // The newest run's folder; in it, the main thread's profile is the largest (the loader thread idles).
  const folder = readdirSync(PROFILE_DIR)
    .filter((f) => f.startsWith('homeroom-profile-'))
    .map((f) => join(PROFILE_DIR, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const file = folder
    ? readdirSync(folder)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(folder, f))
        .sort((a, b) => statSync(b).size - statSync(a).size)[0]
    : undefined;
  if (!file) return { file: null, error: 'no .cpuprofile written' };
  // Only the measured phase counts: start-up (tsx compiling TypeScript, schema building) and
  // connection set-up are left out. V8's profile clock is CLOCK_MONOTONIC, like the harness's.
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const window = phase ? { from: phase.t0, to: phase.t0 + phase.spanSeconds * 1e6 } : undefined;
  let summary = analyseProfile(profile, 25, window);
  if (summary.busyMs === 0) summary = analyseProfile(profile); // clocks disagree: whole profile
  ctx.log(`  profile window: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle`);
  ctx.log(
    `  profile ${relative(REPO, file)}: busy ${summary.busyMs} ms; top modules ${summary.modules
      .slice(0, 5)
      .map((m) => `${m.name} ${m.pct}%`)
      .join(', ')}`,
  );
  return {
    file: relative(REPO, file),
    deliveries: phase?.delivered ?? null,
    serverCpuMicrosPerDelivery: phase?.serverCpuMicrosPerDelivery ?? null,
    ...summary,
  };
}
