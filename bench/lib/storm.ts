import type { Sql } from 'postgres';
import { type Histogram, merge, monoMicros, newHistogram, summary } from './hist';
import { awaitDeliveries, combineGenerators } from './load';
import { socketsPerServer } from './many';
import { warmUp } from './phase';
import { cpuSeconds, listenOverflows, round } from './procfs';
import { type Context, perCourse } from './scenarios';
import { QUERIES, startSystem } from './systems';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const metricsOf = async (wsUrl: string) =>
  (await fetch(wsUrl.replace(/^ws/, 'http').replace(/\/graphql$/, '/metrics'))).text();
const gauge = (metrics: string, name: string) => {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : null;
};

/** Whether the instance at this subscription URL leads the relay (its own metric). */
async function leadsRelay(wsUrl: string) {
  return gauge(await metricsOf(wsUrl), 'homeroom_relay_leader') === 1;
}

/**
 * B's own view, once a second from the kill: how old the newest event was when its relay published
 * it (behind on ordering/reading the outbox) and its event-loop lag (busy delivering or resuming);
 * and the database's: backends waiting on a lock, and the longest-running statement then.
 */
function sampleSurvivor(wsUrl: string, killedAt: number, sql: Sql) {
  const samples: {
    second: number;
    relayLagMs: number | null;
    eventLoopLagMs: number | null;
    lockWaits: number;
    longest: string | null;
  }[] = [];
  const ms = (x: number | null) => (x === null ? null : round(x * 1000, 0));
  const timer = setInterval(() => {
    const second = Math.floor((monoMicros() - killedAt) / 1e6);
    void Promise.all([
      metricsOf(wsUrl),
      sql<{ lock_waits: number; longest: string | null }[]>`
        select count(*) filter (where wait_event_type = 'Lock')::int as lock_waits,
          (select round(extract(epoch from now() - query_start) * 1000) || ' ms ' || left(query, 60)
             from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend'
             order by query_start limit 1) as longest
        from pg_stat_activity`,
    ])
      .then(([m, [db]]) =>
        samples.push({
          second,
          relayLagMs: ms(gauge(m, 'homeroom_relay_lag_seconds')),
          eventLoopLagMs: ms(gauge(m, 'homeroom_nodejs_eventloop_lag_seconds')),
          lockWaits: db.lock_waits,
          longest: db.longest,
        }),
      )
      .catch(() => {});
  }, 1000);
  return { samples, stop: () => clearInterval(timer) };
}

/** Percentiles (ms) of durations in µs. */
function spread(micros: number[]) {
  if (!micros.length) return { p50: null, p99: null, max: null };
  const sorted = [...micros].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1000, 0);
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** One histogram of the seconds in [from, to) (CLOCK_MONOTONIC seconds the events were scheduled in). */
function window(bySecond: [number, Histogram][], from: number, to: number) {
  const h = newHistogram();
  for (const [second, part] of bySecond) if (second >= from && second < to) merge(h, part);
  return summary(h);
}

/**
 * (g) Reconnect storm, Homeroom only (it alone resumes from a cursor): two instances sharing
 * Redis, `stormSubscribers` on A and `stormOwnSubscribers` on B, events at a steady rate; A is
 * SIGKILLed mid-phase and its subscribers reconnect to B with the web client's backoff and jitter,
 * resubscribing `after` their last cursor. Reports when every one of them had caught up (holds
 * every event of its course, gap-free, up to one written after it came back), lost and duplicated
 * deliveries over the whole phase, and B's own subscribers' latency before and during the storm.
 */
export async function reconnectStorm(ctx: Context) {
  const o = ctx.options;
  const system = await startSystem('homeroom', {
    instances: 2,
    core: o.serverCore,
    env: { ...ctx.env, REDIS_URL: ctx.infra.redisUrl },
    sql: ctx.writer.sql,
    log: ctx.log,
  });
  ctx.track(system.stop);
  const [urlA, urlB] = system.urls;
  const [pidA, pidB] = system.pids;
  const stormers = await ctx.startGenerators();
  const own = await ctx.startGenerators(1);
  try {
    // B ends up holding A's subscribers and its own: both must fit in one process's open files.
    const room = socketsPerServer();
    const stormSubscribers = Math.max(0, Math.min(o.stormSubscribers, room.sockets - o.stormOwnSubscribers));
    const limitedBy = stormSubscribers < o.stormSubscribers ? room.limit : null;
    if (limitedBy) ctx.log(`  (g) ${stormSubscribers} subscribers on A instead of ${o.stormSubscribers}: ${limitedBy}`);
    const stormSpecs = ctx.specs.slice(0, stormSubscribers);
    const ownSpecs = ctx.specs.slice(stormSubscribers, stormSubscribers + o.stormOwnSubscribers);
    const common = {
      ...QUERIES.homeroom,
      courses: o.courses,
      concurrency: 100,
    };
    const [a, b] = await Promise.all([
      stormers.connect({
        ...common,
        url: urlA,
        failover: [urlB],
        backoff: 'web',
        subscribers: stormSpecs,
      }),
      own.connect({ ...common, url: urlB, subscribers: ownSpecs }),
    ]);
    ctx.log(
      `  (g) ${a.connected}/${stormSpecs.length} subscribers on A (${a.ms} ms), ${b.connected}/${ownSpecs.length} on B (${b.ms} ms)`,
    );
    const gens = combineGenerators([stormers, own]);
    const subscribersPerCourse = perCourse([...stormSpecs, ...ownSpecs], o.courses);
    const warmedUp = await warmUp({
      gens,
      writer: ctx.writer,
      subscribersPerCourse,
      serverPids: system.pids,
      postmasterPid: ctx.infra.postmasterPid,
      log: ctx.log,
    });

    const seconds = o.stormBeforeSeconds + o.stormAfterSeconds;
    const { start, end } = ctx.writer.peek(o.stormRate, seconds);
    await gens.phase(start, end);
    const writing = ctx.writer.run({ rate: o.stormRate, seconds });
    await sleep(o.stormBeforeSeconds * 1000);
    // A started first, so it normally leads the relay: its death then also costs a take-over.
    const killedLeader = await leadsRelay(urlA);
    const killedAt = monoMicros();
    const cpuB = cpuSeconds(pidB);
    const overflowsBefore = listenOverflows();
    process.kill(pidA, 'SIGKILL');
    const survivor = sampleSurvivor(urlB, killedAt, ctx.writer.sql);
    ctx.log(`  (g) killed instance A (pid ${pidA}) with ${a.connected} subscribers`);
    const wrote = await writing;

    // Drain: every expected delivery arrived, or nothing moved for longer than a few backoff steps.
    const expected = wrote.courseOfSeq.reduce((n, c) => n + (c >= 0 ? subscribersPerCourse[c] : 0), 0);
    await awaitDeliveries(gens, expected, { quietMs: 20_000, timeoutMs: 120_000, pollMs: 200 });
    const drainedAt = monoMicros();
    survivor.stop();
    survivor.samples.sort((x, y) => x.second - y.second);
    const cpuBSeconds = cpuSeconds(pidB) - cpuB;
    const overflows = listenOverflows() - overflowsBefore;

    const [storm, ownReport] = await Promise.all([
      stormers.report(wrote.courseOfSeq, end - start),
      own.report(wrote.courseOfSeq, end - start),
    ]);
    const caughtUp = storm.caughtUpAt.filter((t) => t > 0);
    const everyoneCaughtUp = caughtUp.length === a.connected && storm.resubscribedAt.length === a.connected;
    const lastCaughtUp = caughtUp.length ? Math.max(...caughtUp) : drainedAt;
    const killSecond = Math.floor(killedAt / 1e6);
    // B's own subscribers, by the second their events were scheduled in: the whole seconds before
    // the kill against those from the kill's second to the last catch-up's.
    const before = window(ownReport.histBySecond, 0, killSecond);
    const during = window(ownReport.histBySecond, killSecond, Math.floor(lastCaughtUp / 1e6) + 1);
    // Second by second from the kill's: when B's own latency recovered.
    const ownP99BySecond = ownReport.histBySecond
      .filter(([second]) => second >= killSecond - 1)
      .sort((x, y) => x[0] - y[0])
      .map(([second, h]) => ({ second: second - killSecond, p99: summary(h).p99 }));
    const result = {
      subscribers: a.connected,
      /** Why A held fewer than asked (this machine's open-file limit), in words; null when not. */
      limitedBy,
      ownSubscribers: b.connected,
      rate: o.stormRate,
      beforeSeconds: o.stormBeforeSeconds,
      afterSeconds: o.stormAfterSeconds,
      warmedUp,
      /** A led the relay when it died: the storm includes the relay's take-over by B. */
      killedLeader,
      events: end - start,
      writeFailures: wrote.failed,
      /** The writer's commits, from each one's scheduled time (a stalled database shows here first). */
      commitMs: wrote.commitMs,
      resubscribed: storm.resubscribedAt.length,
      caughtUp: caughtUp.length,
      /** From the kill until the last of A's subscribers had caught up; null if one never did. */
      allCaughtUpMs: everyoneCaughtUp ? round((lastCaughtUp - killedAt) / 1000, 0) : null,
      resubscribedMs: spread(storm.resubscribedAt.map((t) => t - killedAt)),
      caughtUpMs: spread(caughtUp.map((t) => t - killedAt)),
      reconnectAttempts: storm.reconnects,
      /** SYNs the kernel dropped at a full accept queue (machine-wide) from the kill until drained. */
      listenOverflows: overflows,
      lost: storm.lost,
      duplicated: storm.duplicated,
      ownLost: ownReport.lost,
      ownDuplicated: ownReport.duplicated,
      ownLatencyBeforeMs: before,
      ownLatencyDuringMs: during,
      ownP99BySecond,
      survivorBySecond: survivor.samples,
      /** Instance B's CPU from the kill until everything drained, % of its core. */
      survivorCpuPct: round((100 * cpuBSeconds) / Math.max(0.001, (drainedAt - killedAt) / 1e6), 1),
      errorSamples: [...storm.otherErrors, ...ownReport.otherErrors].filter((e) => !e.startsWith('close 1006')),
    };
    ctx.log(
      `  (g) storm: ${result.resubscribed}/${result.subscribers} resubscribed (p50 ${result.resubscribedMs.p50}, max ${result.resubscribedMs.max} ms after the kill), ` +
        `${result.caughtUp} caught up, all by ${result.allCaughtUpMs ?? 'never'} ms; lost ${result.lost} dup ${result.duplicated} ` +
        `(B's own: ${result.ownLost}/${result.ownDuplicated}); B's own p99 ${before.p99} ms before → ${during.p99} ms during; ` +
        `B ${result.survivorCpuPct}% core; ${result.reconnectAttempts} reconnect attempts, ${overflows} SYNs dropped at a full accept queue; A ${killedLeader ? 'led' : 'did not lead'} the relay; ` +
        `B's own p99 by second from the kill: ${ownP99BySecond.map((x) => `${x.second}: ${x.p99}`).join(', ')}; ` +
        `B's relay lag / event-loop lag by second, ms: ${survivor.samples.map((x) => `${x.second}: ${x.relayLagMs}/${x.eventLoopLagMs}`).join(', ')}; ` +
        `writer commit p50 ${wrote.commitMs.p50} p99 ${wrote.commitMs.p99} ms; Postgres lock waits / longest statement by second: ${survivor.samples
          .filter((x) => x.lockWaits > 0 || x.longest)
          .map((x) => `${x.second}: ${x.lockWaits} / ${x.longest}`)
          .join(', ')}` +
        (result.errorSamples.length ? `; errors: ${result.errorSamples.slice(0, 2).join(' | ')}` : ''),
    );
    return result;
  } finally {
    await ctx.release(stormers.stop, own.stop, system.stop);
  }
}
