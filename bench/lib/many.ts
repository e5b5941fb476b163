import type { SubscriberSpec } from '../load/protocol';
import { type PhaseResult, runPhase } from './phase';
import {
  cpuDelta,
  cpuSeconds,
  cpuSnapshot,
  listenOverflows,
  openFilesLimit,
  round,
  settledRssKiB,
  sysctl,
  treeCpuSeconds,
} from './procfs';
import { type Context, perCourse } from './scenarios';
import { QUERIES, type SystemName, startSystem } from './systems';

/**
 * Scenario (j): N subscriptions on ONE server process (issue 17, item 2). Opening them measures
 * connections per second (connect, upgrade, `connection_init` → `connection_ack`, all of
 * authentication included) and subscriptions per second; then, after the warm-up barrier and a
 * forced GC, RSS per idle subscription and per socket; then a few events per course reach every
 * one of them, counted exactly.
 *
 * Each socket is a descriptor in the server and another in a generator: the server's open-file
 * limit bounds the sockets (see `planMany`). Past it, a socket carries several subscriptions, as a
 * real web client's does (one graphql-ws connection, an operation per live view): its instructor's
 * `gradeChanged` of each course they teach (the grade sheets of a teacher's courses, live), k =
 * ceil(N / sockets) of them, each its own operation id, so N is reached over the sockets there are.
 * Distinct courses, not one course k times: a client deduplicates identical operations, and an
 * event then reaches a socket once per course it is about, never k times.
 *
 * Loopback has ~28,000 ephemeral ports per source address towards one server port, so the
 * generators' sockets come from several source addresses (127.0.0.2, 127.0.0.3, …) past 20,000;
 * the generators take at most GENERATOR_SOCKETS each.
 */

/** Sockets per generator process (below any sane per-process descriptor limit). */
const GENERATOR_SOCKETS = 15_000;
/** Descriptors the server needs besides its sockets (stdio, Postgres pool, listener, epoll, logs …). */
const SERVER_FDS = 300;
/** Sockets per loopback source address (its ephemeral range is ~28,000 ports towards one server port). */
const PER_ADDRESS = 20_000;
/** Connects in flight per generator: enough to keep the server busy, well inside the accept backlog (4,096). */
const CONCURRENCY = 250;

export type ManyPlan = {
  requested: number;
  /** What is run: `requested`, or less where even `perSocket` on every socket would not hold it. */
  subscriptions: number;
  /** Sockets they are spread over: one per subscription, or as many as the server may hold. */
  sockets: number;
  /** Subscriptions on a socket, at most (k = ceil(subscriptions / sockets)); the rest carry k − 1. */
  perSocket: number;
  /** Why fewer sockets than subscriptions, in words; null when one each. */
  socketsLimitedBy: string | null;
  /** Why fewer subscriptions than requested, in words; null when not. */
  limitedBy: string | null;
  limits: {
    openFilesSoft: number;
    openFilesHard: number;
    ephemeralPorts: string | null;
    somaxconn: string | null;
    tcpMaxSynBacklog: string | null;
    fileMax: string | null;
  };
};

/**
 * How the requested subscriptions fit on one server process: one socket each while its open files
 * allow (its soft limit is raised to the hard one when it starts, infra.ts `withAllOpenFiles`,
 * which needs no privilege; raising the hard limit needs CAP_SYS_RESOURCE, which the bench does not
 * ask for), else as many sockets as they do (or `socketCap`), k subscriptions on each — one per
 * course its instructor teaches, so at most `courses`.
 */
export function planMany(requested: number, o: { courses: number; socketCap?: number | null }): ManyPlan {
  const { soft, hard } = openFilesLimit();
  const { sockets: allowed, limit } = socketsPerServer();
  const cap = Math.min(allowed, o.socketCap ?? Number.POSITIVE_INFINITY);
  const sockets = Math.max(1, Math.min(requested, cap));
  const subscriptions = Math.min(requested, sockets * o.courses);
  return {
    requested,
    subscriptions,
    sockets,
    perSocket: Math.ceil(subscriptions / sockets),
    socketsLimitedBy:
      sockets < requested
        ? o.socketCap != null && o.socketCap < allowed
          ? `--many-sockets=${o.socketCap}`
          : limit
        : null,
    limitedBy:
      subscriptions < requested
        ? `${o.courses} per socket at most (one per course its instructor teaches; ${o.courses} courses)`
        : null,
    limits: {
      openFilesSoft: soft,
      openFilesHard: hard,
      ephemeralPorts: sysctl('net/ipv4/ip_local_port_range'),
      somaxconn: sysctl('net/core/somaxconn'),
      tcpMaxSynBacklog: sysctl('net/ipv4/tcp_max_syn_backlog'),
      fileMax: sysctl('fs/file-max'),
    },
  };
}

/**
 * (j)'s sockets: one per instructor of `staff` (population.manyStaff, each teaching `perSocket`
 * courses from its own on), the first `subscriptions − sockets × (k − 1)` carrying k
 * subscriptions, the others k − 1: exactly `plan.subscriptions` in all, every course about equally.
 */
export function multiplexedSpecs(
  plan: Pick<ManyPlan, 'subscriptions' | 'sockets' | 'perSocket'>,
  staff: { token: string; courseIndex: number }[],
  courses: string[],
): SubscriberSpec[] {
  const k = plan.perSocket;
  if (staff.length < plan.sockets)
    throw new Error(`(j) needs ${plan.sockets} instructors, the population has ${staff.length}`);
  if (k > courses.length) throw new Error(`(j) ${k} subscriptions per socket, but only ${courses.length} courses`);
  const full = plan.subscriptions - plan.sockets * (k - 1);
  return staff.slice(0, plan.sockets).map((s, i) => {
    const [first, ...more] = Array.from({ length: i < full ? k : k - 1 }, (_, j) => {
      const courseIndex = (s.courseIndex + j) % courses.length;
      return { courseId: courses[courseIndex], courseIndex };
    });
    return { token: s.token, ...first, ...(more.length ? { more } : {}) };
  });
}

/** How many sockets one server process can hold here (its open files), and that limit in words. */
export function socketsPerServer() {
  const { hard } = openFilesLimit();
  return {
    sockets: Number.isFinite(hard) ? Math.floor((hard - SERVER_FDS) / 100) * 100 : Number.POSITIVE_INFINITY,
    limit: `open files: hard limit ${hard} per process (RLIMIT_NOFILE; raising it needs CAP_SYS_RESOURCE), ${SERVER_FDS} kept for the server's other descriptors`,
  };
}

export type ManyResult = Awaited<ReturnType<typeof manySubscriptions>>;

/** A server of `name` and the generators for (j)'s sockets (as many as GENERATOR_SOCKETS each allows). */
export async function manySession(ctx: Context, name: SystemName, plan: ManyPlan, o: { control?: boolean } = {}) {
  const system = await startSystem(name, {
    instances: 1,
    core: ctx.options.serverCore,
    env: ctx.env,
    sql: ctx.writer.sql,
    control: o.control,
    log: ctx.log,
  });
  ctx.track(system.stop);
  const gens = await ctx.startGenerators(Math.max(ctx.options.generators, Math.ceil(plan.sockets / GENERATOR_SOCKETS)));
  return { system, gens };
}

/**
 * Opens every socket of (j) with its subscriptions; `acked` when the last `connection_ack` came,
 * `settled` when the server then idled (the last subscribes sent with their acks done).
 */
export async function openSockets(
  ctx: Context,
  name: SystemName,
  plan: ManyPlan,
  s: Awaited<ReturnType<typeof manySession>>,
) {
  // Only when one range cannot hold them all: a socket bound to a source address takes its port in
  // bind(), whose search for a free port grows with the ports in use (generator CPU per connection
  // 580 µs against 403 at 6,000, 1.2–1.5 ms at 19,700 on two addresses), where an unbound one gets
  // it in connect(), unique per destination and cheap.
  const spread = Math.ceil(plan.sockets / PER_ADDRESS);
  const addresses = spread > 1 ? Array.from({ length: spread }, (_, i) => `127.0.0.${i + 2}`) : [];
  const connected = await s.gens.connect({
    url: s.system.urls,
    ...QUERIES[name],
    courses: ctx.options.courses,
    subscribers: ctx.manySpecs,
    concurrency: CONCURRENCY,
    localAddresses: addresses,
  });
  const acked = Date.now();
  await serverIdle(s.system.pids[0]);
  return { ...connected, addresses, acked, settled: Date.now() };
}

export async function manySubscriptions(ctx: Context, name: SystemName, plan: ManyPlan) {
  const o = ctx.options;
  const n = plan.sockets;
  const specs = ctx.manySpecs;
  const session = await manySession(ctx, name, plan);
  const { system, gens } = session;
  const [pid] = system.pids;
  try {
    const rssBeforeKiB = await settledRssKiB(system.pids);
    const before = {
      at: Date.now(),
      cpu: cpuSnapshot(),
      server: cpuSeconds(pid),
      db: treeCpuSeconds(ctx.infra.postmasterPid),
      load: gens.pids().reduce((s, p) => s + cpuSeconds(p), 0),
      overflows: listenOverflows(),
    };
    const connected = await openSockets(ctx, name, plan, session);
    const addresses = connected.addresses;
    const openSeconds = (connected.acked - before.at) / 1000;
    // The last sockets' subscribes were sent with their acks: their work ends when the server idles.
    const settledSeconds = (connected.settled - before.at) / 1000;
    const cores = cpuDelta(before.cpu, cpuSnapshot());
    const serverCpu = cpuSeconds(pid) - before.server;
    const dbCpu = treeCpuSeconds(ctx.infra.postmasterPid) - before.db;
    const loadCpu = gens.pids().reduce((s, p) => s + cpuSeconds(p), 0) - before.load;
    const perConnection = (seconds: number) =>
      connected.connected ? round((seconds * 1e6) / connected.connected, 0) : null;
    const opening = {
      connected: connected.connected,
      subscriptions: connected.subscriptions,
      failed: connected.failed,
      seconds: round(openSeconds, 2),
      connectionsPerSecond: round(connected.connected / openSeconds, 0),
      /** Until the server idled after the last subscribe (each socket's are sent with its ack). */
      settledSeconds: round(settledSeconds, 2),
      subscriptionsPerSecond: round(connected.subscriptions / settledSeconds, 0),
      serverCpuPct: round((100 * serverCpu) / settledSeconds, 1),
      /** A connection with its subscriptions, until the server idled (so the last subscribes count). */
      serverCpuMicrosPerConnection: perConnection(serverCpu),
      serverCpuMicrosPerSubscription: connected.subscriptions
        ? round((serverCpu * 1e6) / connected.subscriptions, 0)
        : null,
      dbCpuMicrosPerConnection: perConnection(dbCpu),
      /** The generators' own (client side: connect, handshake, init), on the load core with Postgres. */
      generatorCpuMicrosPerConnection: perConnection(loadCpu),
      corePct: cores.corePct,
      stealPct: cores.stealPct,
      /** SYNs dropped at a full accept queue while opening (machine-wide). */
      listenOverflows: listenOverflows() - before.overflows,
    };
    ctx.log(
      `  (j) ${name}: ${connected.connected}/${n} sockets acknowledged in ${opening.seconds} s = ${opening.connectionsPerSecond}/s` +
        `${connected.failed ? ` (${connected.failed} failed)` : ''}, ${connected.subscriptions} subscriptions by ${opening.settledSeconds} s = ${opening.subscriptionsPerSecond}/s; ` +
        `CPU per connection: server ${opening.serverCpuMicrosPerConnection} µs (${opening.serverCpuMicrosPerSubscription} per subscription), Postgres ${opening.dbCpuMicrosPerConnection} µs, generators ${opening.generatorCpuMicrosPerConnection} µs; ` +
        `server ${opening.serverCpuPct} % of its core, cores ${JSON.stringify(opening.corePct)}, listen overflows ${opening.listenOverflows}`,
    );

    // Every subscription registered (one event per course reaches all of them), then idle.
    const subscribersPerCourse = perCourse(specs, o.courses);
    const liveFrom = Date.now();
    // Tens of thousands of receivers: a long drain before a phase counts as quiet.
    const measure = (label: string, rate: number, seconds: number) =>
      runPhase({
        label,
        gens,
        writer: ctx.writer,
        rate,
        seconds,
        subscribersPerCourse,
        serverPids: system.pids,
        postmasterPid: ctx.infra.postmasterPid,
        quietMs: 5000,
        drainTimeoutMs: 120_000,
        log: ctx.log,
      });
    const reachedAll = (p: PhaseResult | null) => p !== null && p.delivered >= p.expectedDeliveries && p.lost === 0;
    let warm: PhaseResult | null = null;
    for (let attempt = 0; attempt < 3 && !reachedAll(warm); attempt++)
      warm = await measure('(j) warm-up', o.courses, 1);
    const rssAfterKiB = await settledRssKiB(system.pids);
    const idle = {
      rssBeforeMiB: round(rssBeforeKiB / 1024, 1),
      rssAfterMiB: round(rssAfterKiB / 1024, 1),
      kibPerSubscription: round((rssAfterKiB - rssBeforeKiB) / Math.max(1, connected.subscriptions), 2),
      kibPerSocket: round((rssAfterKiB - rssBeforeKiB) / Math.max(1, connected.connected), 2),
      warmedUp: reachedAll(warm),
      /** From the last acknowledgement until the warm-up's events had reached every subscriber. */
      allLiveSeconds: round((Date.now() - liveFrom) / 1000, 1),
    };
    ctx.log(
      `  (j) ${name}: idle RSS ${idle.rssBeforeMiB} → ${idle.rssAfterMiB} MiB = ${idle.kibPerSubscription} KiB per subscription, ${idle.kibPerSocket} KiB per socket`,
    );

    // Events that reach everyone: each subscriber gets `rate × seconds ÷ courses` of its course's.
    const delivery = await measure('(j) delivery to all', o.manyEventRate, o.manyEventSeconds);
    return {
      subscriptions: plan.subscriptions,
      sockets: n,
      perSocket: plan.perSocket,
      requested: plan.requested,
      socketsLimitedBy: plan.socketsLimitedBy,
      limitedBy: plan.limitedBy,
      sourceAddresses: addresses,
      generators: gens.pids().length,
      opening,
      idle,
      delivery,
    };
  } finally {
    await ctx.release(gens.stop, system.stop);
  }
}

/** Waits until the server uses at most one 10 ms tick of CPU in 250 ms (or 30 s passed). */
async function serverIdle(pid: number) {
  const deadline = Date.now() + 30_000;
  let last = cpuSeconds(pid);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const now = cpuSeconds(pid);
    if (now - last <= 0.01) return;
    last = now;
  }
}
