import { summary } from './hist';
import { awaitDeliveries, type Receivers } from './load';
import { cpuDelta, cpuSeconds, cpuSnapshot, round, rssKiB, treeCpuSeconds } from './procfs';
import type { Writer } from './writer';

export type PhaseResult = Awaited<ReturnType<typeof runPhase>>;

/**
 * The barrier before anything is measured: one event per course must reach every subscriber, so
 * every subscription is registered (and its caches warm). True when it did within 5 tries.
 */
export async function warmUp(o: {
  gens: Receivers;
  writer: Writer;
  subscribersPerCourse: number[];
  serverPids: number[];
  postmasterPid: number;
  log: (line: string) => void;
}) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const warm = await runPhase({
      ...o,
      label: 'warm-up',
      rate: o.subscribersPerCourse.length * 4,
      seconds: 0.5,
      quietMs: 2000,
      drainTimeoutMs: 20_000,
      log: () => {},
    });
    if (warm.delivered >= warm.expectedDeliveries && warm.lost === 0) return true;
    o.log(`  warm-up: ${warm.delivered}/${warm.expectedDeliveries} delivered; waiting for subscriptions`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

/**
 * One measured phase: tell the receivers which events count, write `rate` events/s for
 * `seconds` (open loop), wait until every expected delivery arrived or nothing moved for
 * `quietMs`, then read every receiver's histogram and counters and the kernel's CPU/RSS figures.
 */
export async function runPhase(o: {
  label: string;
  gens: Receivers;
  writer: Writer;
  rate: number;
  seconds: number;
  subscribersPerCourse: number[];
  serverPids: number[];
  postmasterPid: number;
  quietMs?: number;
  drainTimeoutMs?: number;
  log: (line: string) => void;
}) {
  const { start, end } = o.writer.peek(o.rate, o.seconds);
  await o.gens.phase(start, end);
  const xacts0 = await transactions(o.writer);
  const before = {
    server: o.serverPids.reduce((s, pid) => s + cpuSeconds(pid), 0),
    db: treeCpuSeconds(o.postmasterPid),
    load: o.gens.pids().reduce((s, pid) => s + cpuSeconds(pid), 0) + cpuSeconds(process.pid),
    cpu: cpuSnapshot(),
    rss: o.serverPids.reduce((s, pid) => s + rssKiB(pid), 0),
  };
  let peakRss = before.rss;
  const sampler = setInterval(
    () =>
      (peakRss = Math.max(
        peakRss,
        o.serverPids.reduce((s, pid) => s + rssKiB(pid), 0),
      )),
    250,
  );

  const wrote = await o.writer.run({ rate: o.rate, seconds: o.seconds });
  const expected = wrote.courseOfSeq.reduce((n, c) => n + (c >= 0 ? o.subscribersPerCourse[c] : 0), 0);
  await awaitDeliveries(o.gens, expected, {
    quietMs: o.quietMs ?? 3000,
    timeoutMs: o.drainTimeoutMs ?? 30_000,
    pollMs: 100,
  });
  clearInterval(sampler);
  const after = {
    server: o.serverPids.reduce((s, pid) => s + cpuSeconds(pid), 0),
    db: treeCpuSeconds(o.postmasterPid),
    load: o.gens.pids().reduce((s, pid) => s + cpuSeconds(pid), 0) + cpuSeconds(process.pid),
    cpu: cpuSnapshot(),
    rss: o.serverPids.reduce((s, pid) => s + rssKiB(pid), 0),
  };
  const xacts1 = await transactions(o.writer);
  const report = await o.gens.report(wrote.courseOfSeq, end - start);
  const latency = summary(report.hist);
  const spanSeconds = Math.max(o.seconds, report.lastAt > wrote.t0 ? (report.lastAt - wrote.t0) / 1e6 : 0);
  const perDelivery = (seconds: number) => (report.received ? round((seconds * 1e6) / report.received, 1) : null);
  const cpu = cpuDelta(before.cpu, after.cpu);
  const result = {
    label: o.label,
    t0: wrote.t0,
    spanSeconds: round(spanSeconds, 3),
    rate: o.rate,
    seconds: o.seconds,
    events: end - start,
    writeFailures: wrote.failed,
    writerBehind: wrote.behind,
    commitMs: wrote.commitMs,
    expectedDeliveries: expected,
    delivered: report.received,
    lost: report.lost,
    duplicated: report.duplicated,
    outOfPhase: report.outOfPhase,
    slowConsumerErrors: report.slowConsumer,
    resubscribes: report.resumed,
    reconnects: report.reconnects,
    closeCodes: report.closeCodes,
    otherErrors: report.errors,
    socketCloses: report.closes,
    errorSamples: report.otherErrors.slice(0, 5),
    latencyMs: latency,
    deliveriesPerSecond: round(report.received / spanSeconds, 0),
    offeredDeliveriesPerSecond: round(expected / o.seconds, 0),
    serverCpuSeconds: round(after.server - before.server, 2),
    serverCpuPct: round((100 * (after.server - before.server)) / spanSeconds, 1),
    serverCpuMicrosPerDelivery: perDelivery(after.server - before.server),
    dbCpuMicrosPerDelivery: perDelivery(after.db - before.db),
    /**
     * Statements the system sent per event (each autocommits: transactions in pg_stat_database),
     * less the writer's own commit and this count's one: what it asks Postgres for each event.
     */
    dbStatementsPerEvent: round((xacts1 - xacts0 - 1 - (end - start)) / Math.max(1, end - start), 2),
    loadCpuPct: round((100 * (after.load - before.load)) / spanSeconds, 1),
    /** The generators' and the harness's (writer's) CPU per delivery: the load core's share beside Postgres'. */
    loadCpuMicrosPerDelivery: perDelivery(after.load - before.load),
    serverRssMiB: {
      start: round(before.rss / 1024, 1),
      peak: round(peakRss / 1024, 1),
      end: round(after.rss / 1024, 1),
    },
    stealPct: cpu.stealPct,
    corePct: cpu.corePct,
  };
  o.log(
    `  ${o.label}: ${o.rate} ev/s → ${result.delivered}/${expected} delivered (${result.deliveriesPerSecond}/s), p50 ${latency.p50} p99 ${latency.p99} max ${latency.max} ms, ` +
      `lost ${result.lost} dup ${result.duplicated}, server ${result.serverCpuMicrosPerDelivery} µs/delivery (${result.serverCpuPct}% core), ` +
      `load side per delivery: generators+writer ${result.loadCpuMicrosPerDelivery} µs, Postgres ${result.dbCpuMicrosPerDelivery} µs (system's statements per event ${result.dbStatementsPerEvent}), steal ${cpu.stealPct}%, cores ${JSON.stringify(cpu.corePct)}` +
      (report.slowConsumer ? `, SLOW_CONSUMER ${report.slowConsumer}` : '') +
      (report.errors || report.closes
        ? `, errors ${report.errors} closes ${JSON.stringify(report.closeCodes)} reconnects ${report.reconnects} ${report.otherErrors.slice(0, 2).join(' | ')}`
        : ''),
  );
  return result;
}

/**
 * Transactions committed or rolled back in the bench database so far. Backends report theirs
 * about once a second, so a phase's count is shifted by about that much at both ends: close at a
 * steady rate, rough for short phases.
 */
async function transactions(writer: Writer): Promise<number> {
  const [row] = await writer.sql<{ n: string }[]>`
    select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()`;
  return Number(row.n);
}
