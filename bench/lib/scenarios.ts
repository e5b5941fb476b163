import type { SubscriberSpec } from '../load/protocol';
import type { startInfra } from './infra';
import type { Generators } from './load';
import type { Options } from './options';
import { runPhase, type PhaseResult } from './phase';
import { isAlive, round, rssKiB } from './procfs';
import { QUERIES, startSystem, type RunningSystem, type SystemName } from './systems';
import type { Writer } from './writer';

export type Context = {
  options: Options;
  infra: Awaited<ReturnType<typeof startInfra>>;
  writer: Writer;
  specs: SubscriberSpec[];
  env: Record<string, string>;
  startGenerators(): Promise<Generators>;
  track(stop: () => Promise<void>): void;
  untrack(stop: () => Promise<void>): void;
  log(line: string): void;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS of the servers after a full GC (they run with --expose-gc and collect on SIGUSR2). */
async function settledRssKiB(pids: number[]) {
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  await sleep(1500);
  return pids.reduce((s, pid) => s + rssKiB(pid), 0);
}

const perCourse = (specs: SubscriberSpec[], courses: number) => {
  const n = new Array<number>(courses).fill(0);
  for (const s of specs) n[s.courseIndex] += 1;
  return n;
};

/** One system's servers plus fresh load generators with every subscriber connected and live. */
async function session(ctx: Context, name: SystemName, o: { subscribers: number; instances?: number; env?: Record<string, string>; profile?: boolean }) {
  const env = { ...ctx.env, ...(o.env ?? {}) };
  const system = await startSystem(name, { instances: o.instances ?? 1, core: ctx.options.serverCore, env, sql: ctx.writer.sql, profile: o.profile, log: ctx.log });
  ctx.track(system.stop);
  const gens = await ctx.startGenerators();
  const rssBeforeKiB = await settledRssKiB(system.pids);
  const specs = ctx.specs.slice(0, o.subscribers);
  const connected = await gens.connect({ url: system.urls, ...QUERIES[name], subscribers: specs, concurrency: 100 });
  ctx.log(`  ${name}: ${connected.connected}/${specs.length} subscribers connected in ${connected.ms} ms${connected.failed ? ` (${connected.failed} failed)` : ''}`);
  const subscribersPerCourse = perCourse(specs, ctx.options.courses);
  // Barrier: one event per course must reach every subscriber before anything is measured, so
  // every subscription is registered (and its caches warm).
  let warm: PhaseResult | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    warm = await runPhase({ label: 'warm-up', gens, writer: ctx.writer, rate: ctx.options.courses * 2, seconds: 1, subscribersPerCourse, serverPids: system.pids, postmasterPid: ctx.infra.postmasterPid, quietMs: 2000, drainTimeoutMs: 20_000, log: () => {} });
    if (warm.delivered >= warm.expectedDeliveries && warm.lost === 0) break;
    ctx.log(`  warm-up: ${warm.delivered}/${warm.expectedDeliveries} delivered; waiting for subscriptions`);
    await sleep(2000);
  }
  const close = async () => {
    await gens.stop();
    ctx.untrack(gens.stop);
    await system.stop();
    ctx.untrack(system.stop);
  };
  return { system, gens, subscribersPerCourse, connected, rssBeforeKiB, warmedUp: warm!.delivered >= warm!.expectedDeliveries, close };
}

type Session = Awaited<ReturnType<typeof session>>;

function phase(ctx: Context, s: Session, label: string, rate: number, seconds: number, extra: { quietMs?: number; drainTimeoutMs?: number } = {}) {
  return runPhase({ label, gens: s.gens, writer: ctx.writer, rate, seconds, subscribersPerCourse: s.subscribersPerCourse, serverPids: s.system.pids, postmasterPid: ctx.infra.postmasterPid, log: ctx.log, ...extra });
}

export type SystemResults = {
  steady?: PhaseResult & { subscribers: number };
  idle?: { subscribers: number; connected: number; rssBeforeMiB: number; rssAfterMiB: number; kibPerSubscription: number; warmedUp: boolean };
  saturation?: { steps: PhaseResult[]; sustainedDeliveriesPerSecond: number | null; sustainedRate: number | null; stoppedBecause: string };
  twoInstances?: PhaseResult & { instances: number; via: string };
  overload?: PhaseResult & { rateFactor: number; maxQueuedEvents: number | null; serverAlive: boolean; recovery: PhaseResult | null };
  failures?: string[];
};

export async function runScenarios(ctx: Context, systems: SystemName[]) {
  const o = ctx.options;
  const out: Partial<Record<SystemName, SystemResults>> = {};
  for (const name of systems) {
    const r: SystemResults = (out[name] = { failures: [] });
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (error) {
        ctx.log(`  ${name} ${what} failed: ${error instanceof Error ? error.stack : error}`);
        r.failures!.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    ctx.log(`== ${name}`);

    if (o.scenarios.includes('a') || o.scenarios.includes('c')) {
      await attempt('steady/saturation', async () => {
        const s = await session(ctx, name, { subscribers: o.subscribers });
        try {
          if (o.scenarios.includes('a')) r.steady = { ...(await phase(ctx, s, '(a) steady', o.steadyRate, o.steadySeconds)), subscribers: s.connected.connected };
          if (o.scenarios.includes('c')) r.saturation = await saturate(ctx, s);
        } finally {
          await s.close();
        }
      });
    }

    if (o.scenarios.includes('e')) {
      await attempt('overload', async () => {
        const base = r.saturation?.sustainedRate ?? o.steadyRate;
        const rate = base * 2;
        const env: Record<string, string> = name === 'homeroom' ? { LIVE_MAX_QUEUED_EVENTS: String(o.overloadMaxQueued) } : {};
        const s = await session(ctx, name, { subscribers: o.subscribers, env });
        try {
          const result = await phase(ctx, s, `(e) overload ×2`, rate, o.overloadSeconds, { quietMs: 5000, drainTimeoutMs: 90_000 });
          const serverAlive = s.system.pids.every(isAlive);
          const recovery = serverAlive ? await phase(ctx, s, '(e) recovery', o.steadyRate, Math.max(2, Math.round(o.steadySeconds / 4))) : null;
          r.overload = { ...result, rateFactor: 2, maxQueuedEvents: name === 'homeroom' ? o.overloadMaxQueued : null, serverAlive, recovery };
        } finally {
          await s.close();
        }
      });
    }

    if (o.scenarios.includes('b')) {
      await attempt('idle', async () => {
        const s = await session(ctx, name, { subscribers: o.idleSubscribers });
        try {
          const after = await settledRssKiB(s.system.pids);
          r.idle = {
            subscribers: o.idleSubscribers,
            connected: s.connected.connected,
            rssBeforeMiB: round(s.rssBeforeKiB / 1024, 1),
            rssAfterMiB: round(after / 1024, 1),
            kibPerSubscription: round((after - s.rssBeforeKiB) / Math.max(1, s.connected.connected), 1),
            warmedUp: s.warmedUp,
          };
          ctx.log(`  (b) idle: ${s.connected.connected} subscriptions, RSS ${r.idle.rssBeforeMiB} → ${r.idle.rssAfterMiB} MiB = ${r.idle.kibPerSubscription} KiB each`);
        } finally {
          await s.close();
        }
      });
    }

    if (o.scenarios.includes('d')) {
      await attempt('two instances', async () => {
        const env: Record<string, string> = name === 'homeroom' ? { REDIS_URL: ctx.infra.redisUrl } : {};
        const s = await session(ctx, name, { subscribers: o.subscribers, instances: 2, env });
        try {
          const via = name === 'homeroom' ? 'Redis event target' : name === 'postgraphile' ? 'LISTEN/NOTIFY per instance' : 'outbox read per instance';
          r.twoInstances = { ...(await phase(ctx, s, '(d) two instances', o.steadyRate, o.twoInstanceSeconds)), instances: 2, via };
        } finally {
          await s.close();
        }
      });
    }
  }
  return out;
}

/** Steps the event rate up until p99 passes the limit (or events are lost); the last step below it is sustained. */
async function saturate(ctx: Context, s: Session) {
  const o = ctx.options;
  const steps: PhaseResult[] = [];
  let sustained: PhaseResult | null = null;
  let stoppedBecause = 'ran out of steps';
  for (const rate of o.saturationRates) {
    const step = await phase(ctx, s, `(c) step`, rate, o.stepSeconds, { quietMs: 3000, drainTimeoutMs: 30_000 });
    steps.push(step);
    const p99 = step.latencyMs.p99 ?? Infinity;
    if (p99 > o.p99LimitMs || step.lost > 0 || step.delivered < step.expectedDeliveries) {
      stoppedBecause = p99 > o.p99LimitMs ? `p99 ${p99} ms > ${o.p99LimitMs} ms at ${rate} ev/s` : `lost ${step.lost} events at ${rate} ev/s`;
      break;
    }
    sustained = step;
    await sleep(500);
  }
  return {
    steps,
    sustainedDeliveriesPerSecond: sustained?.deliveriesPerSecond ?? null,
    sustainedRate: sustained?.rate ?? null,
    stoppedBecause,
  };
}
