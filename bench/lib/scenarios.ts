import type { SubscriberSpec } from '../load/protocol';
import { type Bottleneck, bottleneckOf, describeBottleneck, measuresTheServer } from './bottleneck';
import { type ConnectProfile, profileOpening } from './connect-profile';
import type { startInfra } from './infra';
import type { Generators, Spill } from './load';
import { type ManyPlan, type ManyResult, manySubscriptions } from './many';
import type { Options } from './options';
import { type PhaseResult, runPhase, warmUp } from './phase';
import { pollingCrowd } from './polling';
import { isAlive, round, settledRssKiB } from './procfs';
import { analyseLatest } from './profile';
import { reconnectStorm } from './storm';
import { QUERIES, type SystemName, startSystem } from './systems';
import type { Writer } from './writer';

export type Context = {
  options: Options;
  infra: Awaited<ReturnType<typeof startInfra>>;
  writer: Writer;
  specs: SubscriberSpec[];
  /** The lecture's writer (its events all in one course) and subscribers (all of that course). */
  lecture: { writer: Writer; specs: SubscriberSpec[] };
  /** (j)'s sockets, each with its subscriptions (lib/many.ts `multiplexedSpecs`); empty without (j). */
  manySpecs: SubscriberSpec[];
  env: Record<string, string>;
  /** `count` workers (default: options.generators), stopped with the run if not before. */
  startGenerators(count?: number, spill?: Spill): Promise<Generators>;
  track(stop: () => Promise<void>): void;
  /** Stops these (in this order) now and forgets them: the run's end need not. */
  release(...stops: (() => Promise<void>)[]): Promise<void>;
  log(line: string): void;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Subscriptions per course index (a socket's multiplexed ones included): who must get each event. */
export const perCourse = (specs: SubscriberSpec[], courses: number) => {
  const n = new Array<number>(courses).fill(0);
  for (const s of specs) {
    n[s.courseIndex] += 1;
    for (const m of s.more ?? []) n[m.courseIndex] += 1;
  }
  return n;
};

/** One system's servers plus fresh load generators with every subscriber connected and live. */
async function session(
  ctx: Context,
  name: SystemName,
  o: {
    subscribers: number;
    instances?: number;
    env?: Record<string, string>;
    profile?: boolean;
    lecture?: boolean;
    /** The generators on both cores at idle priority (load.ts `Spill`). */
    spill?: boolean;
  },
) {
  // The lecture's subscribers all take one course more than the school has (infra.ts).
  const { writer, specs: pool } = o.lecture ? ctx.lecture : ctx;
  const courses = ctx.options.courses + (o.lecture ? 1 : 0);
  const env = { ...ctx.env, ...(o.env ?? {}) };
  const system = await startSystem(name, {
    instances: o.instances ?? 1,
    core: ctx.options.serverCore,
    env,
    sql: ctx.writer.sql,
    profile: o.profile,
    log: ctx.log,
  });
  ctx.track(system.stop);
  const spill = o.spill ? { cores: `${ctx.options.serverCore},${ctx.options.loadCore}` } : undefined;
  const gens = await ctx.startGenerators(undefined, spill);
  const rssBeforeKiB = await settledRssKiB(system.pids);
  const specs = pool.slice(0, o.subscribers);
  const connected = await gens.connect({
    url: system.urls,
    ...QUERIES[name],
    courses: ctx.options.courses,
    subscribers: specs,
    concurrency: 100,
  });
  ctx.log(
    `  ${name}: ${connected.connected}/${specs.length} subscribers connected in ${connected.ms} ms${connected.failed ? ` (${connected.failed} failed)` : ''}`,
  );
  const subscribersPerCourse = perCourse(specs, courses);
  const warmedUp = await warmUp({
    gens,
    writer,
    subscribersPerCourse,
    serverPids: system.pids,
    postmasterPid: ctx.infra.postmasterPid,
    log: ctx.log,
  });
  const close = async () => {
    await ctx.release(gens.stop, system.stop);
  };
  return {
    system,
    gens,
    spilled: spill !== undefined,
    writer,
    subscribersPerCourse,
    connected,
    rssBeforeKiB,
    warmedUp,
    close,
  };
}

type Session = Awaited<ReturnType<typeof session>>;

function phase(
  ctx: Context,
  s: Session,
  label: string,
  rate: number,
  seconds: number,
  extra: { quietMs?: number; drainTimeoutMs?: number } = {},
) {
  return runPhase({
    quietMs: ctx.options.quietMs,
    label,
    gens: s.gens,
    writer: s.writer,
    rate,
    seconds,
    subscribersPerCourse: s.subscribersPerCourse,
    serverPids: s.system.pids,
    postmasterPid: ctx.infra.postmasterPid,
    log: ctx.log,
    ...extra,
  });
}

export type SystemResults = {
  steady?: PhaseResult & { subscribers: number };
  idle?: {
    subscribers: number;
    connected: number;
    rssBeforeMiB: number;
    rssAfterMiB: number;
    kibPerSubscription: number;
    warmedUp: boolean;
  };
  saturation?: {
    steps: PhaseResult[];
    /** Null when the load core saturated first (the search measured the machine, not the server). */
    sustainedDeliveriesPerSecond: number | null;
    sustainedRate: number | null;
    stoppedBecause: string;
    /** What limited the last step measured (the one that ended the search). */
    bottleneck: Bottleneck | null;
    /** Deliveries/s of the step at which the load core (or other work on the server's) saturated first, if it did. */
    loadBoundAt: number | null;
    /** The event rate of the last step that passed, load-bound or not (what (e) doubles). */
    lastPassingRate: number | null;
  };
  /** (c) again with every subscriber in one course (options.lectureSubscribers). */
  lecture?: Awaited<ReturnType<typeof saturate>> & { subscribers: number };
  twoInstances?: PhaseResult & { instances: number; via: string };
  overload?: PhaseResult & { rateFactor: number; serverAlive: boolean; recovery: PhaseResult | null };
  polling?: Awaited<ReturnType<typeof pollingCrowd>>;
  storm?: Awaited<ReturnType<typeof reconnectStorm>>;
  /** With Homeroom's connect profile in a full run (not --quick, not --no-profile). */
  many?: ManyResult & { connectProfile?: ConnectProfile };
  failures?: string[];
  profile?: ReturnType<typeof analyseLatest>;
};

export async function runScenarios(ctx: Context, systems: SystemName[], many: ManyPlan | null = null) {
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

    // (a), (c) and (e) share one server: steady load, then the saturation search, then overload
    // at twice the rate found, then the steady rate again to see it recover.
    if (['a', 'c', 'e'].some((x) => o.scenarios.includes(x))) {
      await attempt('steady/saturation/overload', async () => {
        // --quick profiles this session instead of starting another one.
        const profile = o.quick && o.profile && name === 'homeroom';
        const since = Date.now();
        let s = await session(ctx, name, { subscribers: o.subscribers, profile });
        // A phase the system could not drain leaves a backlog that would leak into the next
        // measurement: start a fresh server and fresh generators instead.
        const freshIfBehind = async (p: PhaseResult | undefined) => {
          if (!p || p.delivered >= p.expectedDeliveries) return;
          ctx.log(
            `  ${name}: backlog left (${p.delivered}/${p.expectedDeliveries}); restarting before the next scenario`,
          );
          await s.close();
          s = await session(ctx, name, { subscribers: o.subscribers });
        };
        try {
          if (o.scenarios.includes('a'))
            r.steady = {
              ...(await phase(ctx, s, '(a) steady', o.steadyRate, o.steadySeconds)),
              subscribers: s.connected.connected,
            };
          if (o.scenarios.includes('c')) {
            await freshIfBehind(r.steady);
            r.saturation = await saturate(ctx, s, o.saturationRates, '(c)');
          }
          if (o.scenarios.includes('e')) {
            await freshIfBehind(r.saturation?.steps.at(-1) ?? r.steady);
            const rate = 2 * (r.saturation?.lastPassingRate ?? o.saturationRates[0]);
            const result = await phase(ctx, s, '(e) overload ×2', rate, o.overloadSeconds, {
              quietMs: o.quietMs * 2,
              drainTimeoutMs: 90_000,
            });
            const serverAlive = s.system.pids.every(isAlive);
            // Recovery: back to a rate this system sustained, to see it come back.
            const calm = Math.min(o.steadyRate, r.saturation?.lastPassingRate ?? o.saturationRates[0]);
            const recovery = serverAlive ? await phase(ctx, s, '(e) recovery', calm, o.recoverySeconds) : null;
            r.overload = { ...result, rateFactor: 2, serverAlive, recovery };
          }
        } finally {
          await s.close();
        }
        if (profile) r.profile = analyseLatest(ctx, since, r.steady ?? null);
      });
    }

    // --quick exercises the lecture, (b) and (d) on Homeroom only: the code paths are the same for every system.
    const full = !o.quick || name === 'homeroom';
    // (c) as a lecture: each event reaches every subscriber, so the server, not the load core, fills up
    // first. `--scenarios=lecture` runs it alone.
    if (full && (o.scenarios.includes('c') || o.scenarios.includes('lecture')))
      await attempt('lecture saturation', async () => {
        const s = await session(ctx, name, { subscribers: o.lectureSubscribers, lecture: true, spill: true });
        try {
          r.lecture = {
            ...(await saturate(ctx, s, o.lectureRates, '(c) lecture')),
            subscribers: s.connected.connected,
          };
        } finally {
          await s.close();
        }
      });

    if (full && o.scenarios.includes('b')) {
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
          ctx.log(
            `  (b) idle: ${s.connected.connected} subscriptions, RSS ${r.idle.rssBeforeMiB} → ${r.idle.rssAfterMiB} MiB = ${r.idle.kibPerSubscription} KiB each`,
          );
        } finally {
          await s.close();
        }
      });
    }

    if (full && o.scenarios.includes('d')) {
      await attempt('two instances', async () => {
        const env: Record<string, string> = name === 'homeroom' ? { REDIS_URL: ctx.infra.redisUrl } : {};
        const s = await session(ctx, name, { subscribers: o.subscribers, instances: 2, env });
        try {
          const via =
            name === 'homeroom'
              ? 'Redis event target'
              : name === 'postgraphile'
                ? 'LISTEN/NOTIFY per instance'
                : 'outbox read per instance';
          r.twoInstances = {
            ...(await phase(ctx, s, '(d) two instances', o.steadyRate, o.twoInstanceSeconds)),
            instances: 2,
            via,
          };
        } finally {
          await s.close();
        }
      });
    }

    // Only Homeroom has a polling fallback (`updates`); raw ws and PostGraphile have no equivalent.
    if (name === 'homeroom' && o.scenarios.includes('f'))
      await attempt('polling crowd', async () => {
        r.polling = await pollingCrowd(ctx);
      });

    // Only Homeroom resumes a subscription from a cursor: without one a reconnect storm can only lose events.
    if (name === 'homeroom' && o.scenarios.includes('g'))
      await attempt('reconnect storm', async () => {
        r.storm = await reconnectStorm(ctx);
      });

    // Homeroom beside raw ws (PostGraphile's per-subscriber re-read would make it a test of Postgres).
    if (many && full && name !== 'postgraphile' && o.scenarios.includes('j'))
      await attempt('many subscriptions', async () => {
        r.many = await manySubscriptions(ctx, name, many);
        // 5,000 connections/s is missed (issue 17): where a connection's time goes, beside the figures.
        if (name === 'homeroom' && !o.quick && o.profile) r.many.connectProfile = await profileOpening(ctx, many);
      });
  }
  return out;
}

/**
 * Steps the event rate up until p99 passes the limit (or events are lost); the last step below it
 * is sustained — unless the load core saturated first: then the search stops and reports no
 * saturation figure, only "load-bound at N/s" (the generators, writer and databases set the limit).
 */
async function saturate(ctx: Context, s: Session, rates: number[], label: string) {
  const o = ctx.options;
  const passes = (p: PhaseResult) =>
    (p.latencyMs.p99 ?? Infinity) <= o.p99LimitMs && p.lost === 0 && p.delivered >= p.expectedDeliveries;
  const steps: PhaseResult[] = [];
  let sustained: PhaseResult | null = null;
  let stoppedBecause = 'ran out of steps';
  let bottleneck: Bottleneck | null = null;
  let loadBoundAt: number | null = null;
  for (const rate of rates) {
    // Other work shares this machine: a step that fails once is tried again before it counts.
    let step: PhaseResult | null = null;
    for (let attempt = 0; attempt < (o.quick ? 1 : 2); attempt++) {
      step = await phase(ctx, s, attempt ? `${label} step, retry` : `${label} step`, rate, o.stepSeconds, {
        quietMs: o.quietMs,
        drainTimeoutMs: 30_000,
      });
      steps.push(step);
      if (passes(step)) break;
      if (step.delivered < step.expectedDeliveries) break; // a backlog is not noise
      await sleep(1000);
    }
    const limit = bottleneckOf(step!, o, s.spilled);
    bottleneck = limit;
    if (!passes(step!)) {
      const p99 = step!.latencyMs.p99 ?? Infinity;
      stoppedBecause =
        p99 > o.p99LimitMs
          ? `p99 ${p99} ms > ${o.p99LimitMs} ms at ${rate} ev/s`
          : `lost ${step!.lost} events at ${rate} ev/s`;
      if (!measuresTheServer(limit)) loadBoundAt = step!.deliveriesPerSecond;
      break;
    }
    sustained = step;
    if (!measuresTheServer(limit)) {
      // Any higher step would measure the load side (or the machine's other work) too.
      stoppedBecause = `${limit.core !== 'load' ? 'server core (other work)' : limit.spilled ? 'load side' : 'load core'} saturated at ${rate} ev/s`;
      loadBoundAt = step!.deliveriesPerSecond;
      break;
    }
    await sleep(500);
  }
  const result = {
    steps,
    sustainedDeliveriesPerSecond: loadBoundAt === null ? (sustained?.deliveriesPerSecond ?? null) : null,
    sustainedRate: loadBoundAt === null ? (sustained?.rate ?? null) : null,
    stoppedBecause,
    bottleneck,
    loadBoundAt,
    lastPassingRate: sustained?.rate ?? null,
    lastPassingServerMicros: sustained?.serverCpuMicrosPerDelivery ?? null,
  };
  ctx.log(
    loadBoundAt !== null
      ? `  ${label} load-bound at ${loadBoundAt}/s: no saturation figure (${describeBottleneck(bottleneck!)})`
      : `  ${label} sustained ${result.sustainedDeliveriesPerSecond ?? '–'} deliveries/s; ${stoppedBecause}; last step: ${bottleneck ? describeBottleneck(bottleneck) : '–'}`,
  );
  return result;
}
