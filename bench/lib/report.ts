import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AccessResult } from './access';
import { describeBottleneck, SATURATED_PCT } from './bottleneck';
import { renderChart } from './chart';
import type { ChatResult } from './chat';
import type { OutboxReadCost } from './outbox-reads';
import type { SystemResults } from './scenarios';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const NAMES = { 'raw-ws': 'raw ws (ceiling)', homeroom: 'Homeroom', postgraphile: 'PostGraphile v5' } as const;
type Name = keyof typeof NAMES;

type Run = {
  date: string;
  quick: boolean;
  durationSeconds: number;
  cpuWholeRun: { stealPct: number; corePct: Record<string, number> };
  results: Partial<Record<Name, SystemResults>>;
  outboxReads: OutboxReadCost[];
  chat: ChatResult | null;
  access: AccessResult | null;
  profile: unknown;
  options: {
    subscribers: number;
    idleSubscribers: number;
    steadyRate: number;
    courses: number;
    lectureSubscribers?: number;
  };
};

type Row = {
  label: string;
  get: (r: SystemResults) => number | string | null | undefined;
  ratio?: boolean;
  digits?: number;
};

const fmt = (v: number | string | null | undefined, digits = 1) =>
  v === null || v === undefined
    ? '–'
    : typeof v === 'string'
      ? v
      : Math.abs(v) >= 100
        ? Math.round(v).toLocaleString('en-US')
        : String(Number(v.toFixed(digits)));

/** The table rows: every figure, and (where it is a quantity) its ratio to the raw-ws baseline of the same run. */
function rows(run: Run): Row[] {
  const o = run.options;
  return [
    {
      label: `(a) p50 latency, ms (${o.subscribers} subs × ${o.steadyRate} ev/s)`,
      get: (r) => r.steady?.latencyMs.p50,
      ratio: true,
      digits: 2,
    },
    { label: '(a) p95 latency, ms', get: (r) => r.steady?.latencyMs.p95, ratio: true, digits: 2 },
    { label: '(a) p99 latency, ms', get: (r) => r.steady?.latencyMs.p99, ratio: true, digits: 2 },
    { label: '(a) max latency, ms', get: (r) => r.steady?.latencyMs.max, ratio: true, digits: 2 },
    { label: '(a) deliveries/s', get: (r) => r.steady?.deliveriesPerSecond, ratio: true },
    { label: '(a) lost / duplicated', get: (r) => (r.steady ? `${r.steady.lost} / ${r.steady.duplicated}` : null) },
    { label: '(a) server CPU per delivery, µs', get: (r) => r.steady?.serverCpuMicrosPerDelivery, ratio: true },
    {
      label: '(a) → deliveries/s one whole core could do (10⁶ ÷ µs; robust to noise)',
      get: (r) => (r.steady?.serverCpuMicrosPerDelivery ? 1e6 / r.steady.serverCpuMicrosPerDelivery : null),
      ratio: true,
    },
    {
      label: '(a) Postgres CPU per delivery, µs',
      get: (r) => r.steady?.dbCpuMicrosPerDelivery,
      ratio: true,
      digits: 2,
    },
    { label: '(a) server core busy, %', get: (r) => r.steady?.serverCpuPct, ratio: true },
    { label: '(a) server RSS peak, MiB', get: (r) => r.steady?.serverRssMiB.peak, ratio: true },
    {
      label: `(b) RSS per idle subscription, KiB (${o.idleSubscribers})`,
      get: (r) => r.idle?.kibPerSubscription,
      ratio: true,
    },
    {
      label: '(b) RSS before → after, MiB',
      get: (r) => (r.idle ? `${r.idle.rssBeforeMiB} → ${r.idle.rssAfterMiB}` : null),
    },
    {
      label: '(c) max sustained deliveries/s (p99 ≤ 100 ms, no loss; none when load-bound)',
      get: (r) =>
        r.saturation?.loadBoundAt != null
          ? `load-bound at ${fmt(r.saturation.loadBoundAt)}/s`
          : r.saturation?.sustainedDeliveriesPerSecond,
      ratio: true,
    },
    { label: '(c) at event rate, ev/s', get: (r) => r.saturation?.sustainedRate, ratio: true },
    {
      label: `(c) bottleneck at the last step (saturated: ≥ ${SATURATED_PCT} % busy)`,
      get: (r) => (r.saturation?.bottleneck ? describeBottleneck(r.saturation.bottleneck) : null),
    },
    { label: '(c) search ended because', get: (r) => r.saturation?.stoppedBecause },
    {
      label: `(c) lecture of ${fmt(o.lectureSubscribers)} subscribers (one course, every event to all): max sustained deliveries/s (none when load-bound)`,
      get: (r) =>
        r.lecture?.loadBoundAt != null
          ? `load-bound at ${fmt(r.lecture.loadBoundAt)}/s`
          : r.lecture?.sustainedDeliveriesPerSecond,
      ratio: true,
    },
    { label: '(c) lecture at event rate, ev/s', get: (r) => r.lecture?.sustainedRate, ratio: true },
    {
      label: '(c) lecture: bottleneck at the last step',
      get: (r) => (r.lecture?.bottleneck ? describeBottleneck(r.lecture.bottleneck) : null),
    },
    { label: '(c) lecture: search ended because', get: (r) => r.lecture?.stoppedBecause },
    {
      label: '(c) lecture: server CPU per delivery at the last step that passed, µs',
      get: (r) => r.lecture?.lastPassingServerMicros,
      ratio: true,
    },
    {
      // What the server would do with a core of its own, load-bound or not: the ratio to compare
      // where a search could not fill the server's core.
      label: '(c) lecture → deliveries/s one whole core could do (10⁶ ÷ µs)',
      get: (r) => (r.lecture?.lastPassingServerMicros ? 1e6 / r.lecture.lastPassingServerMicros : null),
      ratio: true,
    },
    { label: '(d) two instances: p99 latency, ms', get: (r) => r.twoInstances?.latencyMs.p99, ratio: true, digits: 2 },
    {
      label: '(d) two instances: server CPU per delivery, µs',
      get: (r) => r.twoInstances?.serverCpuMicrosPerDelivery,
      ratio: true,
    },
    {
      label: '(d) two instances: lost / duplicated',
      get: (r) => (r.twoInstances ? `${r.twoInstances.lost} / ${r.twoInstances.duplicated}` : null),
    },
    { label: '(e) overload rate, ev/s (2× the last passing (c) step)', get: (r) => r.overload?.rate, ratio: true },
    {
      label: '(e) server alive after overload',
      get: (r) => (r.overload ? (r.overload.serverAlive ? 'yes' : 'NO') : null),
    },
    { label: '(e) delivered/s under overload', get: (r) => r.overload?.deliveriesPerSecond, ratio: true },
    { label: '(e) p99 latency under overload, ms', get: (r) => r.overload?.latencyMs.p99, ratio: true },
    {
      label: '(e) server RSS start → peak, MiB',
      get: (r) => (r.overload ? `${r.overload.serverRssMiB.start} → ${r.overload.serverRssMiB.peak}` : null),
    },
    {
      label: '(e) slow consumers: SLOW_CONSUMER errors / sockets closed / reconnects',
      get: (r) =>
        r.overload ? `${r.overload.slowConsumerErrors} / ${r.overload.socketCloses} / ${r.overload.reconnects}` : null,
    },
    {
      label: '(e) lost / duplicated (client resumes from cursor where it can)',
      get: (r) => (r.overload ? `${r.overload.lost} / ${r.overload.duplicated}` : null),
    },
    {
      label: '(e) recovery p99 at steady rate, ms',
      get: (r) => r.overload?.recovery?.latencyMs.p99,
      ratio: true,
      digits: 2,
    },
    ...pollingRows(run),
    ...stormRows(run),
    ...manyRows(run),
    { label: 'CPU steal during (a), %', get: (r) => r.steady?.stealPct },
  ];
}

/** Scenario (f): only Homeroom polls; the other systems' cells say they have nothing to compare. */
function pollingRows(run: Run): Row[] {
  const p = run.results.homeroom?.polling;
  if (!p) return [];
  const none = 'no polling fallback';
  const of =
    (phase: 'quiet' | 'busy', get: (x: NonNullable<SystemResults['polling']>['quiet']) => number | string | null) =>
    (r: SystemResults) =>
      r === run.results.homeroom ? (r.polling ? get(r.polling[phase]) : null) : none;
  const crowd = `${p.pollers.toLocaleString('en-US')} pollers every ${p.intervalMs / 1000} s`;
  return (['quiet', 'busy'] as const).flatMap((phase) => {
    const name = phase === 'quiet' ? `(f) ${crowd}, nothing new` : `(f) ${crowd}, ${p.busy.label.slice(4)}`;
    return [
      { label: `${name}: polls/s (errors)`, get: of(phase, (x) => `${x.pollsPerSecond} (${x.errors})`) },
      { label: `${name}: server CPU per poll, µs`, get: of(phase, (x) => x.serverCpuMicrosPerPoll) },
      {
        label: `${name}: Postgres queries per poll (a known session is looked up no more); answers nothing new / from recent events / outbox %`,
        get: of(
          phase,
          (x) =>
            `${x.postgresQueriesPerPoll}; ${x.answeredFromHubPct ?? '–'} / ${x.answeredFromRecentPct ?? '–'} / ${x.answeredFromOutboxPct ?? '–'}%`,
        ),
      },
      { label: `${name}: Postgres CPU per poll, µs`, get: of(phase, (x) => x.postgresCpuMicrosPerPoll) },
      {
        label: `${name}: round trip p50 / p99, ms`,
        get: of(phase, (x) => `${x.roundTripMs.p50} / ${x.roundTripMs.p99}`),
      },
      ...(phase === 'busy'
        ? [{ label: `${name}: events lost / duplicated`, get: of(phase, (x) => `${x.lost} / ${x.duplicated}`) }]
        : []),
    ];
  });
}

/** Scenario (g): only Homeroom resumes from a cursor; the other systems' cells say so. */
function stormRows(run: Run): Row[] {
  const s = run.results.homeroom?.storm;
  if (!s) return [];
  const none = 'no resume from a cursor';
  const of = (get: (x: NonNullable<SystemResults['storm']>) => number | string | null) => (r: SystemResults) =>
    r === run.results.homeroom ? (r.storm ? get(r.storm) : null) : none;
  const name = `(g) storm: instance A killed with ${s.subscribers.toLocaleString('en-US')} subscribers${s.limitedBy ? ` (fewer than asked: ${s.limitedBy})` : ''} (B: ${s.ownSubscribers.toLocaleString('en-US')}), ${s.rate} ev/s`;
  return [
    {
      label: `${name}: all caught up after, ms`,
      get: of((x) => x.allCaughtUpMs ?? `never (${x.caughtUp}/${x.subscribers})`),
    },
    {
      label: '(g) resubscribed / caught up after the kill p50 / p99, ms; SYNs dropped at a full accept queue',
      get: of(
        (x) =>
          `${x.resubscribedMs.p50} / ${x.resubscribedMs.p99}; ${x.caughtUpMs.p50} / ${x.caughtUpMs.p99}; ${x.listenOverflows}`,
      ),
    },
    {
      label: "(g) lost / duplicated (A's subscribers; B's own)",
      get: of((x) => `${x.lost} / ${x.duplicated}; ${x.ownLost} / ${x.ownDuplicated}`),
    },
    {
      label: "(g) B's own subscribers p99 before → during the storm, ms",
      get: of((x) => `${x.ownLatencyBeforeMs.p99} → ${x.ownLatencyDuringMs.p99}`),
    },
  ];
}

/** Scenario (j): Homeroom and raw ws; PostGraphile's cells stay empty. */
function manyRows(run: Run): Row[] {
  const any = run.results.homeroom?.many ?? run.results['raw-ws']?.many;
  if (!any) return [];
  const n = (x: number) => x.toLocaleString('en-US');
  const k = any.perSocket;
  const each = any.subscriptions === any.sockets * k ? `${k}` : `${k - 1}–${k}`;
  const size =
    `${n(any.subscriptions)} subscriptions over ${n(any.sockets)} sockets (${each} per socket) on one process` +
    (any.socketsLimitedBy ? `, sockets capped by ${any.socketsLimitedBy}` : '') +
    (any.limitedBy ? ` (of ${n(any.requested)} asked: ${any.limitedBy})` : '') +
    `, ${any.sourceAddresses.length || 'no'} bound source addresses`;
  return [
    {
      label: `(j) ${size}: connections/s while opening`,
      get: (r) => r.many?.opening.connectionsPerSecond,
      ratio: true,
    },
    {
      label: '(j) subscriptions/s (until the server idled after the last subscribe)',
      get: (r) => r.many?.opening.subscriptionsPerSecond,
      ratio: true,
    },
    {
      label:
        '(j) CPU per connection with its subscriptions, µs: server / Postgres / generators; cores busy while opening, %; SYNs dropped at the accept queue',
      get: (r) =>
        r.many
          ? `${r.many.opening.serverCpuMicrosPerConnection} / ${r.many.opening.dbCpuMicrosPerConnection} / ${r.many.opening.generatorCpuMicrosPerConnection}; ${Object.values(r.many.opening.corePct).join(' / ')}; ${r.many.opening.listenOverflows}`
          : null,
    },
    {
      label: '(j) RSS per idle subscription, KiB',
      get: (r) => r.many?.idle.kibPerSubscription,
      ratio: true,
      digits: 2,
    },
    {
      label: '(j) RSS per socket (with its subscriptions), KiB',
      get: (r) => r.many?.idle.kibPerSocket,
      ratio: true,
      digits: 2,
    },
    {
      label: '(j) RSS before → after, MiB',
      get: (r) => (r.many ? `${r.many.idle.rssBeforeMiB} → ${r.many.idle.rssAfterMiB}` : null),
    },
    {
      label: '(j) events to all: delivered / expected, lost / duplicated',
      get: (r) =>
        r.many
          ? `${r.many.delivery.delivered} / ${r.many.delivery.expectedDeliveries}, ${r.many.delivery.lost} / ${r.many.delivery.duplicated}`
          : null,
    },
    { label: '(j) events to all: p99 latency, ms', get: (r) => r.many?.delivery.latencyMs.p99, ratio: true },
  ];
}

export function markdownTable(run: Run): string {
  const systems = (['raw-ws', 'homeroom', 'postgraphile'] as Name[]).filter((s) => run.results[s]);
  const base = run.results['raw-ws'];
  const lines = [
    `| figure | ${systems.map((s) => NAMES[s]).join(' | ')} |`,
    `|---|${systems.map(() => '---:').join('|')}|`,
  ];
  for (const row of rows(run)) {
    const cells = systems.map((s) => {
      const v = row.get(run.results[s]!);
      const b = base ? row.get(base) : null;
      const ratio =
        row.ratio && s !== 'raw-ws' && typeof v === 'number' && typeof b === 'number' && b > 0
          ? ` (×${fmt(v / b, v / b >= 10 ? 0 : 1)})`
          : '';
      return `${fmt(v, row.digits)}${ratio}`;
    });
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function writeResults(run: Run): string[] {
  mkdirSync(RESULTS, { recursive: true });
  const stamp = run.date.slice(0, 10) + (run.quick ? '-quick' : '');
  const base = `${RESULTS}${stamp}`;
  writeFileSync(`${base}.json`, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(`${base}.svg`, renderChart(run));
  const profile = run.profile as {
    file?: string;
    busyMs?: number;
    serverCpuMicrosPerDelivery?: number;
    functions?: { name: string; pct: number }[];
    modules?: { name: string; pct: number }[];
  } | null;
  const md = [
    `# Live fan-out benchmark, ${run.date}${run.quick ? ' (quick smoke run: small numbers, not a result)' : ''}`,
    '',
    `Same machine, same run, same Postgres: ${run.options.subscribers} subscribers of \`gradeChanged(courseId)\` over ${run.options.courses} courses`,
    `(each event reaches a tenth of them), events are real commits (\`update grades\`) scheduled open-loop; latency is`,
    `client receipt − scheduled send time. Server pinned to core 0; load generators, writer, Postgres and Redis on core 1.`,
    `Ratios (×) are to the raw \`ws\` baseline of this run. Whole-run CPU steal: ${run.cpuWholeRun.stealPct}%. Run took ${run.durationSeconds} s.`,
    '',
    markdownTable(run),
    '',
    `![chart](${stamp}.svg)`,
    '',
    `## The relay's outbox read, old rule against commit order (this run's outbox, pages of 500; Postgres backend CPU from /proc)`,
    '',
    '| rule | events | µs/event wall | µs/event Postgres CPU | of 10 committed beside an open transaction, readable |',
    '|---|---:|---:|---:|---:|',
    ...run.outboxReads.map(
      (r) =>
        `| ${r.rule} | ${r.events} | ${r.wallMicrosPerEvent} | ${r.postgresCpuMicrosPerEvent} | ${r.readableBesideOpenTransaction} |`,
    ),
    '',
    ...(run.results.homeroom?.many?.connectProfile ? connectSection(run.results.homeroom.many) : []),
    ...(run.chat ? chatSection(run.chat) : []),
    ...(run.access ? accessSection(run.access) : []),
    ...(profile?.functions
      ? [
          `## Where Homeroom's time goes (scenario (a) under \`--cpu-prof\`, ${profile.serverCpuMicrosPerDelivery} µs/delivery)`,
          '',
          '| module | self % |',
          '|---|---:|',
          ...profile.modules!.slice(0, 15).map((m) => `| ${m.name} | ${m.pct} |`),
          '',
          '| function | self % |',
          '|---|---:|',
          ...profile.functions.slice(0, 25).map((f) => `| \`${f.name}\` | ${f.pct} |`),
          '',
        ]
      : []),
  ].join('\n');
  writeFileSync(`${base}.md`, md);
  return [`${base}.json`, `${base}.md`, `${base}.svg`];
}

/** "cpu0 97 %, cpu1 64 %": which core was busy (the servers run on one, everything else on the other). */
const coresBusy = (corePct: Record<string, number>) =>
  Object.entries(corePct)
    .map(([core, pct]) => `${core} ${pct} %`)
    .join(', ');

/**
 * (j)'s missed target (5,000 connections/s on one core: ≤ 200 µs each) and where a connection's time
 * goes: the profile's shares of the measured (unprofiled) server CPU per connection.
 */
function connectSection(many: NonNullable<SystemResults['many']>): string[] {
  const p = many.connectProfile!;
  const measured = many.opening.serverCpuMicrosPerConnection ?? 0;
  const of = (pct: number) => fmt((pct * measured) / 100);
  return [
    `## Where a connection's time goes ((j), Homeroom's server while ${fmt(p.connections)} sockets open with ${fmt(p.subscriptions)} subscriptions, CPU profile)`,
    '',
    `Target 5,000 connections/s on one server core: ≤ 200 µs CPU per connection. Measured (without the profiler): ${fmt(many.opening.connectionsPerSecond)} connections/s, ` +
      `${fmt(measured)} µs per connection with its subscriptions (×${fmt(measured / 200)} the budget), spread below by the profile's shares. ` +
      `The profile (the same opening on a fresh server, ${p.sampleMicros} µs sampling, \`${p.file}\`): ${fmt(p.connectionsPerSecond)} connections/s, ${fmt(p.serverCpuMicrosPerConnection)} µs server CPU per connection, ${fmt(p.busyMicrosPerConnection)} of it in samples; ` +
      'a sample counts for the innermost frame on its stack that a group owns (`lib/connect-profile.ts`).',
    '',
    '| where | % of samples | ≈ µs per connection |',
    '|---|---:|---:|',
    ...p.groups.map((g) => `| ${g.group} | ${g.pct} | ${of(g.pct)} |`),
    '',
    '| function (self time) | % of samples | ≈ µs per connection |',
    '|---|---:|---:|',
    ...p.functions.map((f) => `| \`${f.name}\` | ${f.pct} | ${of(f.pct)} |`),
    '',
  ];
}

/** Scenario (h) against its anchors (issue 12); Homeroom only: neither raw ws nor PostGraphile has chat. */
function chatSection(c: ChatResult): string[] {
  const ms = (x: { p50: number | null; p99: number | null; max: number | null; n: number }) =>
    `p50 ${fmt(x.p50, 2)} · p99 ${fmt(x.p99, 2)} · max ${fmt(x.max, 2)} (n ${x.n})`;
  return [
    '## Chat, presence and typing (h) — Homeroom only, three instances sharing Redis',
    '',
    '| figure | measured | anchor |',
    '|---|---|---|',
    `| channel message commit → each of ${c.subscribers} subscribers (two instances on one core, load generators), ${c.messages} messages at 10/s | ${ms(c.messageLatencyMs)} ms; lost ${c.messagesLost}, duplicated ${c.messagesDuplicated}; servers ${fmt(c.messageServerMicrosPerDelivery, 1)} µs CPU per delivery; cores busy ${coresBusy(c.messageCorePct)} | p99 ≤ 50 ms, 0 / 0 |`,
    `| presence join on one instance → seen on the other | ${ms(c.presenceJoinMs)} ms | p99 ≤ 1,000 ms (Phoenix broadcasts every 1,500) |`,
    `| presence leave (socket closed) → seen on the other, incl. the 1 s leave grace | ${ms(c.presenceLeaveMs)} ms | – |`,
    `| an instance killed (SIGKILL) → its people gone from the other's view | ${c.killedInstanceGoneMs ?? '> 30,000'} ms | ≤ 10,000 ms (Phoenix: 30,000) |`,
    `| typing (setTyping on one instance) → seen on the other | ${ms(c.typingMs)} ms | p99 ≤ 150 ms |`,
    `| messages through an instance kill: ${c.resumeAfterKill.subscribers} subscribers resume on the other instance after their cursor, ${c.resumeAfterKill.messages} messages | lost ${c.resumeAfterKill.lost}, duplicated ${c.resumeAfterKill.duplicated} | 0 / 0 |`,
    '',
  ];
}

/** Scenario (i): issue 13's "at once, everywhere" (target ≤ 1 s). */
function accessSection(a: AccessResult): string[] {
  const line = (label: string, x: AccessResult['deactivate']) =>
    `| ${label} | p50 ${fmt(x.p50, 2)} · p99 ${fmt(x.p99, 2)} · max ${fmt(x.max, 2)} (n ${x.n}) | ${x.unclosed} |`;
  return [
    "## A change of access (i) — admin's answer on instance A → the user's socket on B closed 4403 (Homeroom only)",
    '',
    '| change | ms (target ≤ 1,000) | sockets not closed within 10 s |',
    '|---|---|---:|',
    line('deactivateUser', a.deactivate),
    line('updateUser(role)', a.role),
    line('revokeSession', a.revoke),
    '',
  ];
}
