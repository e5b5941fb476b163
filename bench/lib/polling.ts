import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PollerCommand, PollerReply, PollerReport } from '../load/protocol';
import { merge, newHistogram, summary } from './hist';
import { stopWorkers } from './load';
import { cpuDelta, cpuSeconds, cpuSnapshot, round, treeCpuSeconds } from './procfs';
import type { Context } from './scenarios';
import { startSystem } from './systems';

const POLLER = fileURLToPath(new URL('../load/poller.ts', import.meta.url));

/** What a poller selects: the grade events (the only ones the bench writes), as the web client's polling query does. */
const UPDATES = /* GraphQL */ `query ($after: String!) { updates(after: $after, first: 200) {
  cursor hasMore resyncRequired events { __typename ... on GradeEvent { cursor action grade { id score note } } } } }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polling-crowd workers pinned to the load core, driven over IPC (like load.ts for sockets). */
async function startPollers(count: number, core: string) {
  const workers: { child: ChildProcess; waiters: ((reply: PollerReply) => void)[] }[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn('taskset', ['-c', core, process.execPath, '--import', 'tsx', POLLER], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = { child, waiters: [] as ((reply: PollerReply) => void)[] };
    child.on('message', (reply: PollerReply) => worker.waiters.shift()?.(reply));
    workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      worker.waiters.push(() => resolve());
      child.once('exit', (code) => reject(new Error(`poller exited (${code}) before it started`)));
    });
  }
  const ask = <T extends PollerReply['type']>(w: (typeof workers)[number], command: PollerCommand, _type: T) =>
    new Promise<Extract<PollerReply, { type: T }>>((resolve) => {
      w.waiters.push((reply) => resolve(reply as Extract<PollerReply, { type: T }>));
      w.child.send(command);
    });
  const all = <T extends PollerReply['type']>(command: (i: number) => PollerCommand, type: T) =>
    Promise.all(workers.map((w, i) => ask(w, command(i), type)));
  return {
    pids: () => workers.map((w) => w.child.pid!),
    start: (o: Omit<Extract<PollerCommand, { type: 'start' }>, 'type'>) =>
      all((i) => ({ type: 'start', ...o, pollers: o.pollers.filter((_, j) => j % workers.length === i) }), 'started'),
    phase: (start: number, end: number) => all(() => ({ type: 'phase', start, end }), 'phase-ready'),
    async report(courseOfSeq: number[], sent: number): Promise<PollerReport> {
      const parts = await all(() => ({ type: 'report', courseOfSeq, sent }), 'report');
      const total = { ...parts[0], hist: newHistogram(), otherErrors: [] as string[] };
      for (const k of ['polls', 'errors', 'events', 'outOfPhase', 'hasMore', 'expected', 'lost', 'duplicated'] as const)
        total[k] = parts.reduce((n, p) => n + p[k], 0);
      for (const p of parts) merge(total.hist, p.hist), total.otherErrors.push(...p.otherErrors);
      return total;
    },
    stop: () => stopWorkers(workers.map((w) => w.child)),
  };
}

/** The server's and the database's cumulative costs: CPU seconds, and transactions (≈ statements: postgres.js autocommits each). */
async function costs(ctx: Context, serverPid: number, metricsUrl: string) {
  const [row] = await ctx.writer.sql<{ n: string }[]>`
    select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()`;
  const metrics = await (await fetch(metricsUrl)).text();
  const polls = (answer: string) =>
    Number(new RegExp(`homeroom_polls_total\\{answer="${answer}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  return {
    at: Date.now(),
    server: cpuSeconds(serverPid),
    db: treeCpuSeconds(ctx.infra.postmasterPid),
    xacts: Number(row.n),
    fromHub: polls('hub'),
    fromWindow: polls('window'),
    fromTail: polls('tail'),
    fromOutbox: polls('outbox'),
    cpu: cpuSnapshot(),
  };
}
type Costs = Awaited<ReturnType<typeof costs>>;

export type PollingPhase = ReturnType<typeof describePhase>;

/**
 * One window of the crowd: per poll, the server's CPU, the database's transactions and CPU (the
 * idle rate measured before the crowd — relay sweeps, repair reads — and the writer's own commits
 * taken out), how many answers came from the hub, the round trip, and for events lost/duplicated.
 */
function describePhase(
  label: string,
  a: Costs,
  b: Costs,
  idle: { serverPerSecond: number; dbPerSecond: number; xactsPerSecond: number },
  report: PollerReport,
  writes: number,
) {
  const seconds = (b.at - a.at) / 1000;
  const polls = Math.max(1, report.polls);
  const answers =
    b.fromHub + b.fromWindow + b.fromTail + b.fromOutbox - a.fromHub - a.fromWindow - a.fromTail - a.fromOutbox;
  const share = (n: number) => (answers ? round((100 * n) / answers, 1) : null);
  return {
    label,
    seconds: round(seconds, 1),
    polls: report.polls,
    pollsPerSecond: round(report.polls / seconds, 0),
    errors: report.errors,
    errorSamples: report.otherErrors.slice(0, 3),
    roundTripMs: summary(report.hist),
    serverCpuMicrosPerPoll: round(((b.server - a.server - idle.serverPerSecond * seconds) * 1e6) / polls, 1),
    serverCpuPct: round((100 * (b.server - a.server)) / seconds, 1),
    postgresQueriesPerPoll: round((b.xacts - a.xacts - idle.xactsPerSecond * seconds - writes) / polls, 2),
    postgresCpuMicrosPerPoll: round(((b.db - a.db - idle.dbPerSecond * seconds) * 1e6) / polls, 1),
    // Nothing new (the hub's position), new events from the hub's recent events, or an outbox read.
    answeredFromHubPct: share(b.fromHub - a.fromHub),
    answeredFromRecentPct: share(b.fromWindow - a.fromWindow + b.fromTail - a.fromTail),
    /** Of those, how many added the shared read after the hub's last event (the relay had more on its way). */
    withSharedTailReadPct: share(b.fromTail - a.fromTail),
    answeredFromOutboxPct: share(b.fromOutbox - a.fromOutbox),
    events: report.events,
    expectedEvents: report.expected,
    lost: report.lost,
    duplicated: report.duplicated,
    corePct: cpuDelta(a.cpu, b.cpu).corePct,
  };
}

/**
 * Scenario (f), Homeroom only (raw ws and PostGraphile have no polling fallback): a crowd of
 * clients without sockets polls `updates` every interval — first with nothing new, then while
 * events are written — and what each poll costs the server and Postgres.
 */
export async function pollingCrowd(ctx: Context) {
  const o = ctx.options;
  const system = await startSystem('homeroom', {
    instances: 1,
    core: o.serverCore,
    env: ctx.env,
    sql: ctx.writer.sql,
    log: ctx.log,
  });
  ctx.track(system.stop);
  const pollers = await startPollers(o.generators, o.loadCore);
  ctx.track(pollers.stop);
  try {
    const url = system.urls[0].replace(/^ws:/, 'http:');
    const metricsUrl = url.replace(/\/graphql$/, '/metrics');
    const pid = system.pids[0];
    // What the database and the server spend with nobody polling (relay sweeps, repair reads).
    const i0 = await costs(ctx, pid, metricsUrl);
    await sleep(o.pollBaselineSeconds * 1000);
    const i1 = await costs(ctx, pid, metricsUrl);
    const span = (i1.at - i0.at) / 1000;
    const idle = {
      serverPerSecond: (i1.server - i0.server) / span,
      dbPerSecond: (i1.db - i0.db) / span,
      xactsPerSecond: (i1.xacts - i0.xacts - 1) / span, // less our own reading
    };
    const specs = ctx.specs.slice(0, o.pollers).map((s) => ({ token: s.token, courseIndex: s.courseIndex }));
    const started = await pollers.start({ url, query: UPDATES, pollers: specs, intervalMs: o.pollIntervalMs });
    const n = started.reduce((s, r) => s + r.started, 0);
    ctx.log(
      `  (f) ${n}/${specs.length} pollers every ${o.pollIntervalMs / 1000} s (${Math.round((n * 1000) / o.pollIntervalMs)} polls/s) ready in ${Math.max(...started.map((r) => r.ms))} ms`,
    );

    // Nothing new: every poll finds its cursor current.
    await pollers.phase(0, 0);
    const q0 = await costs(ctx, pid, metricsUrl);
    await sleep(o.pollSeconds * 1000);
    const q1 = await costs(ctx, pid, metricsUrl);
    const quiet = describePhase('(f) nothing new', q0, q1, idle, await pollers.report([], 0), 0);

    // Events: each course's pollers must get every event of their course, once.
    const { start, end } = ctx.writer.peek(o.pollEventRate, o.pollSeconds);
    await pollers.phase(start, end);
    const e0 = await costs(ctx, pid, metricsUrl);
    const wrote = await ctx.writer.run({ rate: o.pollEventRate, seconds: o.pollSeconds });
    await sleep(o.pollIntervalMs + 2000); // every poller asks once more after the last event
    const e1 = await costs(ctx, pid, metricsUrl);
    const report = await pollers.report(wrote.courseOfSeq, end - start);
    const busy = describePhase(`(f) ${o.pollEventRate} ev/s`, e0, e1, idle, report, end - start - wrote.failed);
    for (const p of [quiet, busy])
      ctx.log(
        `  ${p.label}: ${p.polls} polls (${p.pollsPerSecond}/s, ${p.errors} errors), round trip p50 ${p.roundTripMs.p50} p99 ${p.roundTripMs.p99} ms, ` +
          `server ${p.serverCpuMicrosPerPoll} µs/poll (${p.serverCpuPct}% core), Postgres ${p.postgresQueriesPerPoll} queries and ${p.postgresCpuMicrosPerPoll} µs/poll, ` +
          `answers ${p.answeredFromHubPct}% nothing new / ${p.answeredFromRecentPct}% recent events (${p.withSharedTailReadPct}% with the shared tail read) / ${p.answeredFromOutboxPct}% outbox, events ${p.events}/${p.expectedEvents} lost ${p.lost} dup ${p.duplicated}, cores ${JSON.stringify(p.corePct)}` +
          (p.errorSamples.length ? ` ${p.errorSamples.join(' | ')}` : ''),
      );
    return {
      pollers: n,
      intervalMs: o.pollIntervalMs,
      idlePostgresQueriesPerSecond: round(idle.xactsPerSecond, 1),
      quiet,
      busy,
    };
  } finally {
    await ctx.release(pollers.stop, system.stop);
  }
}
