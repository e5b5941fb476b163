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
 * authentication included); then, after the warm-up barrier and a forced GC, RSS per idle
 * subscription; then a few events per course reach every one of them, counted exactly.
 *
 * Loopback has ~28,000 ephemeral ports per source address towards one server port, so the
 * generators' sockets come from several source addresses (127.0.0.2, 127.0.0.3, …). Each socket is
 * a descriptor in the server and another in a generator: the server's open-file limit bounds N
 * (see `planMany`), the generators take at most GENERATOR_SOCKETS each.
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
  /** What is run: `requested`, or less where the server's descriptor limit would not hold it. */
  subscribers: number;
  /** Why fewer than requested, in words; null when not. */
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
 * How many subscriptions this machine can hold on one server process: its soft open-file limit is
 * raised to the hard one when it starts (infra.ts `withAllOpenFiles`), which needs no privilege;
 * raising the hard limit needs CAP_SYS_RESOURCE (root), which the bench does not ask for.
 */
export function planMany(requested: number): ManyPlan {
  const { soft, hard } = openFilesLimit();
  const { sockets, limit } = socketsPerServer();
  const subscribers = Math.max(0, Math.min(requested, sockets));
  return {
    requested,
    subscribers,
    limitedBy: subscribers < requested ? limit : null,
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

/** How many sockets one server process can hold here (its open files), and that limit in words. */
export function socketsPerServer() {
  const { hard } = openFilesLimit();
  return {
    sockets: Number.isFinite(hard) ? Math.floor((hard - SERVER_FDS) / 100) * 100 : Number.POSITIVE_INFINITY,
    limit: `open files: hard limit ${hard} per process (RLIMIT_NOFILE; raising it needs CAP_SYS_RESOURCE), ${SERVER_FDS} kept for the server's other descriptors`,
  };
}

export type ManyResult = Awaited<ReturnType<typeof manySubscriptions>>;

export async function manySubscriptions(ctx: Context, name: SystemName, plan: ManyPlan) {
  const o = ctx.options;
  const n = plan.subscribers;
  const specs = ctx.specs.slice(0, n);
  if (specs.length < n) throw new Error(`(j) needs ${n} subscriber tokens, the population has ${specs.length}`);
  // Only when one range cannot hold them all: a socket bound to a source address takes its port in
  // bind(), whose search for a free port grows with the ports in use (generator CPU per connection
  // 580 µs against 403 at 6,000, 1.2–1.5 ms at 19,700 on two addresses), where an unbound one gets
  // it in connect(), unique per destination and cheap.
  const spread = Math.ceil(n / PER_ADDRESS);
  const addresses = spread > 1 ? Array.from({ length: spread }, (_, i) => `127.0.0.${i + 2}`) : [];
  const system = await startSystem(name, {
    instances: 1,
    core: o.serverCore,
    env: ctx.env,
    sql: ctx.writer.sql,
    log: ctx.log,
  });
  ctx.track(system.stop);
  const [pid] = system.pids;
  const gens = await ctx.startGenerators(Math.max(o.generators, Math.ceil(n / GENERATOR_SOCKETS)));
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
    const connected = await gens.connect({
      url: system.urls,
      ...QUERIES[name],
      courses: o.courses,
      subscribers: specs,
      concurrency: CONCURRENCY,
      localAddresses: addresses,
    });
    const openSeconds = (Date.now() - before.at) / 1000;
    const cores = cpuDelta(before.cpu, cpuSnapshot());
    const serverCpu = cpuSeconds(pid) - before.server;
    const dbCpu = treeCpuSeconds(ctx.infra.postmasterPid) - before.db;
    const loadCpu = gens.pids().reduce((s, p) => s + cpuSeconds(p), 0) - before.load;
    const perConnection = (seconds: number) =>
      connected.connected ? round((seconds * 1e6) / connected.connected, 0) : null;
    const opening = {
      connected: connected.connected,
      failed: connected.failed,
      seconds: round(openSeconds, 2),
      connectionsPerSecond: round(connected.connected / openSeconds, 0),
      serverCpuPct: round((100 * serverCpu) / openSeconds, 1),
      serverCpuMicrosPerConnection: perConnection(serverCpu),
      dbCpuMicrosPerConnection: perConnection(dbCpu),
      /** The generators' own (client side: connect, handshake, init), on the load core with Postgres. */
      generatorCpuMicrosPerConnection: perConnection(loadCpu),
      corePct: cores.corePct,
      stealPct: cores.stealPct,
      /** SYNs dropped at a full accept queue while opening (machine-wide). */
      listenOverflows: listenOverflows() - before.overflows,
    };
    ctx.log(
      `  (j) ${name}: ${connected.connected}/${n} acknowledged in ${opening.seconds} s = ${opening.connectionsPerSecond}/s` +
        `${connected.failed ? ` (${connected.failed} failed)` : ''}; CPU per connection: server ${opening.serverCpuMicrosPerConnection} µs, Postgres ${opening.dbCpuMicrosPerConnection} µs, generators ${opening.generatorCpuMicrosPerConnection} µs; ` +
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
      kibPerSubscription: round((rssAfterKiB - rssBeforeKiB) / Math.max(1, connected.connected), 2),
      warmedUp: reachedAll(warm),
      /** From the last acknowledgement until the warm-up's events had reached every subscriber. */
      allLiveSeconds: round((Date.now() - liveFrom) / 1000, 1),
    };
    ctx.log(
      `  (j) ${name}: idle RSS ${idle.rssBeforeMiB} → ${idle.rssAfterMiB} MiB = ${idle.kibPerSubscription} KiB per subscription`,
    );

    // Events that reach everyone: each subscriber gets `rate × seconds ÷ courses` of its course's.
    const delivery = await measure('(j) delivery to all', o.manyEventRate, o.manyEventSeconds);
    return {
      subscribers: n,
      requested: plan.requested,
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
