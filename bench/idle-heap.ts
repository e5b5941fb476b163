import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getFreePort } from '../scripts/lib/ports';
import { startServerProcess } from '../scripts/lib/server-process';
import { createTokenService } from '../server/auth/tokens';
import { controlOf } from './lib/control';
import {
  analyseGraph,
  classify,
  edgeLabel,
  isString,
  newNodes,
  readSnapshot,
  retainerChain,
  selfSize,
  stringPrefix,
  totals,
} from './lib/heap-snapshot';
import { startInfra } from './lib/infra';
import { type Generators, startGenerators } from './lib/load';
import { runPhase } from './lib/phase';
import { round, treeCpuSeconds } from './lib/procfs';
import { analyseProfile, type CpuProfile, inclusiveByFunction } from './lib/profile';
import { QUERIES } from './lib/systems';
import { createWriter } from './lib/writer';
import type { AllocationSite, ControlReply } from './servers/control';

// Where the memory of an idle graphql-ws subscription goes (scenario (b) of the bench, small).
//
//   node --expose-gc --import tsx bench/idle-heap.ts [N=2000] [--prewarm=20] [--no-snapshots] [--no-pin]
//   node --import tsx bench/idle-heap.ts --analyse [N]      (only re-read the last two snapshots)
//   … --bundle: run the server from an esbuild bundle without tsx's `keepNames` (see below)
//   … --node-flags="--max-semi-space-size=64 …": extra flags for the server's node (experiments)
//   … --idle=S: wait S seconds before the last memory reading
//   … --allocations: where the bytes allocated while the N connect went, garbage included
//
// One Homeroom server in its own process (core 0 unless --no-pin), with an IPC control channel
// (bench/servers/control.ts). `prewarm` subscribers connect and receive one event per course
// first, so one-time costs (JIT, parser cache, pools) are in the baseline; then, each after a
// full GC: memory and heap snapshot "before", N more subscribers (one socket + one
// `gradeChanged(courseId)` each) and the bench's warm-up barrier (one event per course reaches
// every subscriber), memory and snapshot "after". Snapshots: bench/.tmp/idle-heap-{before,after}.heapsnapshot.
// A heap snapshot leaves native memory behind in the server, so RSS is measured on a separate
// server first (same database, same steps, no snapshots); --no-snapshots stops there.
//
// tsx compiles with esbuild's `keepNames`: every named function gets `Object.defineProperty(fn,
// 'name', …)`, which turns the closure into a dictionary-mode object (~300 B more each).
// --bundle measures the same server bundled by esbuild without it, run by plain node.

const TMP = fileURLToPath(new URL('./.tmp/', import.meta.url));
const SERVER = fileURLToPath(new URL('./servers/homeroom.ts', import.meta.url));
const COURSES = 10;
const CPU_PROFILE = `${TMP}idle-heap-connect.cpuprofile`;
const SNAPSHOT = { before: `${TMP}idle-heap-before.heapsnapshot`, after: `${TMP}idle-heap-after.heapsnapshot` };

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const prewarm = option('prewarm', 20);
const idleSeconds = option('idle', 0);
const allocations = flag('allocations');
const cpuProfile = flag('cpu-profile');
const snapshots = !flag('no-snapshots');
const [serverCore, loadCore] = flag('no-pin') ? ['0,1', '0,1'] : ['0', '1'];
const BUNDLE = `${TMP}homeroom-bundle.mjs`;
const nodeFlags =
  args
    .find((a) => a.startsWith('--node-flags='))
    ?.slice('--node-flags='.length)
    .split(/\s+/)
    .filter(Boolean) ?? [];

const started = Date.now();
const log = (line: string) =>
  console.log(`[idle-heap ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const kib = (bytes: number) => round(bytes / 1024, 2);

type Memory = Extract<ControlReply, { type: 'memory' }>;

/** The bench server as one ESM file (dependencies stay imports), compiled without `keepNames`. */
async function bundleServer() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [SERVER],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    keepNames: false,
    logLevel: 'warning',
  });
  log(`bundled ${BUNDLE} (keepNames off)`);
}

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanup() {
  while (cleanups.length) await cleanups.pop()!().catch((error) => log(`cleanup failed: ${error}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));

type Infra = Awaited<ReturnType<typeof startInfra>>;
type Spec = { token: string; courseId: string; courseIndex: number };

/** The database, Redis and the bench population, with a token per subscriber. */
async function prepare() {
  mkdirSync(TMP, { recursive: true });
  const infra = await startInfra({
    staff: N + prewarm,
    courses: COURSES,
    studentsPerCourse: 5,
    assessmentsPerCourse: 4,
    loadCore,
    log,
  });
  cleanups.push(infra.stop);
  const writer = createWriter(infra.databaseUrl, infra.population);
  cleanups.push(writer.stop);
  const jwtSecret = randomBytes(48).toString('base64url');
  const tokens = createTokenService({
    secret: jwtSecret,
    ttlSeconds: 4 * 3600,
    renewGraceSeconds: 0,
    maxSessionSeconds: 86_400,
  });
  const specs: Spec[] = await Promise.all(
    infra.population.staff.map(async (s) => ({
      token: (await tokens.sign({ id: s.id, role: 'INSTRUCTOR' }, { id: s.sessionId })).token,
      courseId: infra.population.courses[s.courseIndex],
      courseIndex: s.courseIndex,
    })),
  );
  return {
    infra,
    writer,
    specs,
    env: { DATABASE_URL: infra.databaseUrl, JWT_SECRET: jwtSecret, DATABASE_POOL_SIZE: '10' },
  };
}

/** One server: prewarm, memory (and snapshot) before, N idle subscriptions, memory (and snapshot) after; then it stops. */
async function measure(setup: Awaited<ReturnType<typeof prepare>>, withSnapshots: boolean) {
  const { infra, writer, specs } = setup;
  const stops: (() => Promise<unknown>)[] = [];
  const track = <T extends { stop: () => Promise<unknown> }>(x: T) => (stops.push(x.stop), cleanups.push(x.stop), x);
  try {
    const server = track(await startServer(setup.env));
    log(
      `homeroom pid ${server.child.pid} on core(s) ${serverCore}${flag('bundle') ? ' (bundle)' : ''}${nodeFlags.length ? ` ${nodeFlags.join(' ')}` : ''}`,
    );
    const connect = async (gens: Generators, subscribers: Spec[], during?: () => Promise<void>) => {
      const result = await gens.connect({
        url: server.url,
        ...QUERIES.homeroom,
        courses: COURSES,
        subscribers,
        concurrency: 100,
      });
      await during?.();
      await warmUp(infra, writer, gens, subscribers, server.child.pid!);
      return result;
    };
    const warmGens = track(await startGenerators(1, loadCore));
    if (prewarm > 0) await connect(warmGens, specs.slice(N, N + prewarm));
    if (withSnapshots) log(`snapshot before: ${(await server.ask({ type: 'snapshot', path: SNAPSHOT.before })).ms} ms`);
    const before = await server.ask({ type: 'memory' });
    const gens = track(await startGenerators(2, loadCore));
    if (allocations) await server.ask({ type: 'sample-allocations' });
    if (cpuProfile) await server.ask({ type: 'cpu-profile-start' });
    const xactsBefore = await transactions(writer);
    const pgBefore = treeCpuSeconds(infra.postmasterPid);
    const cpuBefore = await server.ask({ type: 'cpu' });
    let cpuAfter = cpuBefore;
    let pgCpu = 0;
    let statements = 0;
    const result = await connect(gens, specs.slice(0, N), async () => {
      // The last subscribes follow their acks: let the server finish them.
      await new Promise((resolve) => setTimeout(resolve, 500));
      cpuAfter = await server.ask({ type: 'cpu' });
      pgCpu = treeCpuSeconds(infra.postmasterPid) - pgBefore;
      // Backends report their statistics when idle, at most once a second.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      statements = (await transactions(writer)) - xactsBefore;
      if (cpuProfile) await server.ask({ type: 'cpu-profile-stop', path: CPU_PROFILE });
    });
    printCpu(cpuBefore, cpuAfter, result.connected, result.ms);
    log(
      `Postgres per connection: ${round(statements / result.connected, 2)} statements, ${round((pgCpu * 1e6) / result.connected, 1)} µs CPU`,
    );
    log(
      `${result.connected}/${N} subscriptions in ${result.ms} ms${result.failed ? ` (${result.failed} failed)` : ''} (+${prewarm} prewarmed before)`,
    );
    if (allocations) printAllocations((await server.ask({ type: 'allocations' })).sites, result.connected);
    if (idleSeconds > 0) {
      log(`idle for ${idleSeconds} s (V8's memory reducer runs on an idle heap)`);
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    }
    const after = await server.ask({ type: 'memory' });
    if (withSnapshots) log(`snapshot after: ${(await server.ask({ type: 'snapshot', path: SNAPSHOT.after })).ms} ms`);
    printMemory(
      before,
      after,
      result.connected,
      withSnapshots || allocations ? ' (RSS disturbed by the snapshots or the sampler: see a run without)' : '',
    );
    return result.connected;
  } finally {
    while (stops.length) {
      const stop = stops.pop()!;
      cleanups.splice(cleanups.indexOf(stop), 1);
      await stop().catch((error) => log(`stop failed: ${error}`));
    }
  }
}

/** The bench's barrier: one event per course must reach every subscriber, so every subscription is registered and warm. */
async function warmUp(
  infra: Infra,
  writer: ReturnType<typeof createWriter>,
  gens: Generators,
  subscribers: Spec[],
  serverPid: number,
) {
  const perCourse = new Array<number>(COURSES).fill(0);
  for (const s of subscribers) perCourse[s.courseIndex] += 1;
  for (let attempt = 0; attempt < 5; attempt++) {
    const warm = await runPhase({
      label: 'warm-up',
      gens,
      writer,
      rate: COURSES * 4,
      seconds: 0.5,
      subscribersPerCourse: perCourse,
      serverPids: [serverPid],
      postmasterPid: infra.postmasterPid,
      quietMs: 2000,
      drainTimeoutMs: 20_000,
      log: () => {},
    });
    if (warm.delivered >= warm.expectedDeliveries && warm.lost === 0) return;
    log(`warm-up: ${warm.delivered}/${warm.expectedDeliveries} delivered; waiting for subscriptions`);
  }
}

async function startServer(env: Record<string, string>) {
  const port = await getFreePort();
  const stderr = openSync(`${TMP}homeroom-idle-heap.log`, 'w');
  const node = [
    process.execPath,
    '--expose-gc',
    '--max-old-space-size=8192',
    ...nodeFlags,
    ...(flag('bundle') ? [BUNDLE] : ['--import', 'tsx', SERVER]),
  ];
  const server = await startServerProcess({
    name: 'homeroom',
    command: 'taskset',
    args: ['-c', serverCore, ...node],
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'production' },
    stderr,
    ipc: true,
    ready: (line) => (/READY \d+/.test(line) ? true : undefined),
  }).finally(() => closeSync(stderr));
  const { child } = server;
  const stop = () => server.stop();
  const ask = controlOf(child, 'homeroom');
  return { child, url: `ws://127.0.0.1:${port}/graphql`, ask, stop };
}

/** Where the bytes allocated while N subscribers connected went, garbage included, by function and by file. */
function printAllocations(sites: AllocationSite[], n: number) {
  const total = sites.reduce((sum, s) => sum + s.bytes, 0);
  const short = (url: string) =>
    url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, '')
      .replace(`${process.cwd()}/`, '');
  const share = (bytes: number) =>
    `${String(kib(bytes / n)).padStart(7)} KiB/sub ${String(round((100 * bytes) / total, 1)).padStart(5)} %`;
  console.log(
    `\nAllocated while ${n} subscribers connected (sampled, garbage included): ${kib(total / n)} KiB per subscription`,
  );
  const byFile = new Map<string, number>();
  for (const s of sites) {
    const file =
      short(s.url).replace(/^((?:@[^/]+\/)?[^/]+)\/.*$/, (m, pkg) => (s.url.includes('node_modules') ? pkg : m)) ||
      '(native)';
    byFile.set(file, (byFile.get(file) ?? 0) + s.bytes);
  }
  console.log('  by package or file:');
  for (const [file, bytes] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`    ${share(bytes)}  ${file}`);
  console.log('  by function:');
  for (const s of sites.slice(0, 25))
    console.log(`    ${share(s.bytes)}  ${s.fn} ${short(s.url) || '(native)'}:${s.line}`);
}

/** Statements Postgres ran in the bench database (each autocommits): xact_commit + xact_rollback. */
async function transactions(writer: ReturnType<typeof createWriter>): Promise<number> {
  const [row] = await writer.sql<{ n: string }[]>`
    select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()`;
  return Number(row.n);
}

type Cpu = Extract<ControlReply, { type: 'cpu' }>;

/** The server's own CPU (user + system) and GC time while N subscribers connected and subscribed. */
function printCpu(before: Cpu, after: Cpu, n: number, ms: number) {
  const us = (x: number) => round(x / n, 1);
  const user = after.usage.user - before.usage.user;
  const system = after.usage.system - before.usage.system;
  log(
    `server CPU per connection (connect, init, subscribe): ${us(user + system)} µs (user ${us(user)}, system ${us(system)}), ` +
      `GC ${us((after.gc.ms - before.gc.ms) * 1000)} µs (minor ${us((after.gc.minorMs - before.gc.minorMs) * 1000)}, ` +
      `${after.gc.count - before.gc.count} collections); ${round((n * 1000) / ms, 0)} connections/s` +
      (cpuProfile ? `; profile ${CPU_PROFILE} (node --import tsx bench/idle-heap.ts --profile-summary)` : ''),
  );
}

function printMemory(before: Memory, after: Memory, n: number, note: string) {
  const row = (name: string, a: number, b: number) =>
    `  ${name.padEnd(34)} ${String(round(a / 2 ** 20, 1)).padStart(8)} → ${String(round(b / 2 ** 20, 1)).padStart(8)} MiB   ${String(kib((b - a) / n)).padStart(8)} KiB/sub`;
  const u = (m: Memory) => m.usage;
  console.log(`\nServer memory after a full GC, before → after ${n} idle subscriptions${note}:`);
  console.log(row('rss', u(before).rss, u(after).rss));
  console.log(row('heapTotal (V8 committed)', u(before).heapTotal, u(after).heapTotal));
  console.log(row('heapUsed', u(before).heapUsed, u(after).heapUsed));
  console.log(row('external', u(before).external, u(after).external));
  console.log(row('arrayBuffers', u(before).arrayBuffers, u(after).arrayBuffers));
  console.log(row('V8 malloced_memory', before.heap.malloced_memory, after.heap.malloced_memory));
  console.log(
    row(
      'rss − heapTotal − external (native)',
      u(before).rss - u(before).heapTotal - u(before).external,
      u(after).rss - u(after).heapTotal - u(after).external,
    ),
  );
  console.log(
    row(
      'heapTotal − heapUsed (V8 slack)',
      u(before).heapTotal - u(before).heapUsed,
      u(after).heapTotal - u(after).heapUsed,
    ),
  );
  for (const space of after.spaces) {
    const was = before.spaces.find((s) => s.name === space.name)!;
    if (Math.abs(space.committed - was.committed) + Math.abs(space.used - was.used) < 64 * 1024) continue;
    console.log(
      row(`  ${space.name} used`, was.used, space.used) +
        `   committed ${kib((space.committed - was.committed) / n)} KiB/sub`,
    );
  }
}

function analyse(n: number) {
  const t0 = Date.now();
  const a = readSnapshot(SNAPSHOT.before);
  const b = readSnapshot(SNAPSHOT.after);
  log(`read snapshots: ${a.nodeCount} → ${b.nodeCount} nodes (${Date.now() - t0} ms)`);
  // One class table for both: classify the later snapshot, map the earlier one's names onto it.
  const cb = classify(b);
  const ca = classify(a);
  const index = new Map(cb.names.map((name, i) => [name, i]));
  const names = [...cb.names];
  const remap = ca.names.map((name) => index.get(name) ?? names.push(name) - 1);
  const classOfA = ca.classOf.map((c) => remap[c]);
  const isNew = newNodes(a, b);
  const ta = totals(a, classOfA, names.length);
  const tb = totals(b, cb.classOf, names.length);
  const tn = totals(b, cb.classOf, names.length, isNew);
  const per = (x: number) => round(x / n, 1);
  let newBytes = 0;
  for (let i = 0; i < names.length; i++) newBytes += tn.size[i];
  const sum = (t: { size: Float64Array }) => t.size.reduce((s, x) => s + x, 0);
  console.log(
    `\nHeap snapshots: self size ${kib(sum(ta) / n)} → … Δ ${kib((sum(tb) - sum(ta)) / n)} KiB/sub; objects new since "before": ${kib(newBytes / n)} KiB/sub`,
  );

  const classes = names.map((_, i) => i).sort((x, y) => tb.size[y] - ta.size[y] - (tb.size[x] - ta.size[x]));
  console.log(`\nTop 40 classes by self-size growth (per subscription; "new" = objects that did not exist before):`);
  console.log(
    `  ${'bytes Δ'.padStart(9)} ${'count Δ'.padStart(8)} ${'new B'.padStart(8)} ${'new #'.padStart(7)}  class`,
  );
  for (const c of classes.slice(0, 40))
    console.log(
      `  ${String(per(tb.size[c] - ta.size[c])).padStart(9)} ${String(round((tb.count[c] - ta.count[c]) / n, 2)).padStart(8)} ${String(per(tn.size[c])).padStart(8)} ${String(round(tn.count[c] / n, 2)).padStart(7)}  ${names[c]}`,
    );

  // Strings: grouped by their first characters (tokens, queries, ids).
  const strings = new Map<string, { count: number; size: number }>();
  for (let v = 0; v < b.nodeCount; v++) {
    if (!isNew[v] || !isString(b, v)) continue;
    const key = stringPrefix(b, v, 24)
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>')
      .replace(/eyJ[\w-]+(\.[\w-]*)*/g, '<jwt>');
    const entry = strings.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += selfSize(b, v);
    strings.set(key, entry);
  }
  console.log(`\nNew strings by content (per subscription):`);
  for (const [key, e] of [...strings].sort((x, y) => y[1].size - x[1].size).slice(0, 15))
    console.log(`  ${String(per(e.size)).padStart(8)} B ${String(round(e.count / n, 2)).padStart(6)} ×  ${key}`);

  const t1 = Date.now();
  const g = analyseGraph(b);
  log(`dominators of ${g.reachable} reachable nodes (${Date.now() - t1} ms)`);
  const label = (v: number) => names[cb.classOf[v]];

  // Shortest retainer chains of the new objects of the biggest classes.
  const top = names
    .map((_, i) => i)
    .sort((x, y) => tn.size[y] - tn.size[x])
    .slice(0, 12);
  console.log(`\nShortest retainer chains of new objects (biggest classes; B per subscription):`);
  for (const c of top) {
    const chains = new Map<string, number>();
    for (let v = 0; v < b.nodeCount; v++) {
      if (!isNew[v] || cb.classOf[v] !== c || g.distance[v] < 0) continue;
      const chain = retainerChain(b, g, label, v, 5);
      chains.set(chain, (chains.get(chain) ?? 0) + selfSize(b, v));
    }
    console.log(`  ${names[c]} (${per(tn.size[c])} B/sub):`);
    for (const [chain, bytes] of [...chains].sort((x, y) => y[1] - x[1]).slice(0, 4))
      console.log(`    ${String(per(bytes)).padStart(7)}  ← ${chain}`);
  }

  // Dictionary-mode objects: their properties live in a hash table (tsx's keepNames does this to every named closure).
  const dictionary = names.indexOf('(array) (object properties)');
  const owners = new Map<string, { count: number; size: number }>();
  for (let v = 0; v < b.nodeCount; v++) {
    if (!isNew[v] || cb.classOf[v] !== dictionary) continue;
    let owner = -1;
    for (let i = g.predStart[v]; i < g.predStart[v + 1] && owner < 0; i++)
      if (edgeLabel(b, g.predEdge[i]) === 'properties') owner = g.predNode[i];
    const key = owner < 0 ? '(no owner)' : label(owner);
    const entry = owners.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += selfSize(b, v);
    owners.set(key, entry);
  }
  console.log(`\nDictionary-mode property tables of new objects, by owner (per subscription):`);
  for (const [key, e] of [...owners].sort((x, y) => y[1].size - x[1].size).slice(0, 40))
    console.log(`  ${String(per(e.size)).padStart(8)} B ${String(round(e.count / n, 2)).padStart(6)} ×  ${key}`);

  // New closures by the file that defines them: their own size, plus the property table keepNames gave them.
  const files = new Map<string, { count: number; size: number; table: number }>();
  for (let v = 0; v < b.nodeCount; v++) {
    const name = names[cb.classOf[v]];
    if (!isNew[v] || !name.startsWith('(closure) ')) continue;
    const file = /\s((?:[\w@.-]+\/)*[\w@.-]+\.[cm]?[jt]s)\b/.exec(name)?.[1] ?? '(unknown)';
    const entry = files.get(file) ?? { count: 0, size: 0, table: 0 };
    entry.count += 1;
    entry.size += selfSize(b, v);
    for (let e = b.firstEdge[v]; e < b.firstEdge[v + 1]; e++) {
      const t = b.edges[e * b.ef + b.e.to] / b.nf;
      if (cb.classOf[t] === dictionary && edgeLabel(b, e) === 'properties') entry.table += selfSize(b, t);
    }
    files.set(file, entry);
  }
  console.log(`\nNew closures by defining file (per subscription: count, own bytes, dictionary property-table bytes):`);
  for (const [file, e] of [...files].sort((x, y) => y[1].size + y[1].table - x[1].size - x[1].table).slice(0, 20))
    console.log(
      `  ${String(round(e.count / n, 2)).padStart(6)} × ${String(per(e.size)).padStart(7)} B + ${String(per(e.table)).padStart(7)} B  ${file}`,
    );

  // Mean retained size of the classes that come about once per subscription or more.
  const retainedBy = new Float64Array(names.length);
  for (let v = 0; v < b.nodeCount; v++) if (isNew[v] && g.distance[v] >= 0) retainedBy[cb.classOf[v]] += g.retained[v];
  console.log(`\nRetained size (dominator tree) of new objects, classes with ≥ 0.9 new per subscription:`);
  for (const c of names
    .map((_, i) => i)
    .filter((i) => tn.count[i] / n >= 0.9)
    .sort((x, y) => retainedBy[y] - retainedBy[x])
    .slice(0, 25))
    console.log(
      `  ${String(per(retainedBy[c] / Math.max(1, tn.count[c] / n))).padStart(9)} B each × ${String(round(tn.count[c] / n, 2)).padStart(5)}/sub  ${names[c]}`,
    );

  printDominatorTree(b, g, isNew, label, n, (v) => retainerChain(b, g, label, v, 1));
}

/**
 * Every new object's self size, summed along its dominator-tree path from the first new object
 * on it (the "head", whose immediate dominator existed before): the whole new heap, partitioned
 * by what would free it.
 */
function printDominatorTree(
  s: ReturnType<typeof readSnapshot>,
  g: ReturnType<typeof analyseGraph>,
  isNew: Uint8Array,
  label: (n: number) => string,
  n: number,
  retainer: (v: number) => string,
) {
  const DEPTH = 6;
  type Trie = { size: number; count: number; children: Map<string, Trie> };
  const root: Trie = { size: 0, count: 0, children: new Map() };
  const path = new Array<Trie | undefined>(s.nodeCount);
  const depth = new Uint8Array(s.nodeCount);
  const edge = (v: number) => (g.idomEdge[v] >= 0 ? edgeLabel(s, g.idomEdge[v]) : '…');
  // Reverse post-order: a node's immediate dominator comes before it.
  for (let p = g.reachable - 1; p >= 0; p--) {
    const v = g.order[p];
    if (!isNew[v]) continue;
    const d = g.idom[v];
    let node: Trie;
    if (d < 0 || !isNew[d]) {
      // Heads are mostly dominated by the root (reachable from several GC roots): name their closest retainer instead.
      const key = d > 0 ? `${label(v)}   ⟸ idom ${label(d)}.${edge(v)}` : `${label(v)}   ← ${retainer(v)}`;
      node = root.children.get(key) ?? { size: 0, count: 0, children: new Map() };
      root.children.set(key, node);
      depth[v] = 1;
    } else if (depth[d] >= DEPTH) {
      node = path[d]!;
      depth[v] = depth[d];
    } else {
      const parent = path[d]!;
      const key = `.${edge(v)} ${label(v)}`;
      node = parent.children.get(key) ?? { size: 0, count: 0, children: new Map() };
      parent.children.set(key, node);
      depth[v] = depth[d] + 1;
    }
    path[v] = node;
  }
  // Sizes: each node's self size to its trie node and all of that node's ancestors.
  const parentOf = new Map<Trie, Trie | null>();
  const walk = (t: Trie, parent: Trie | null) => {
    parentOf.set(t, parent);
    for (const child of t.children.values()) walk(child, t);
  };
  walk(root, null);
  for (let v = 0; v < s.nodeCount; v++) {
    const t = path[v];
    if (!t) continue;
    const size = selfSize(s, v);
    let own = true;
    for (let x: Trie | null | undefined = t; x; x = parentOf.get(x)) {
      x.size += size;
      if (own) x.count += 1;
      own = false;
    }
  }
  console.log(
    `\nNew memory by dominator tree (B per subscription; count = objects at that level per subscription; ≥ 48 B shown):`,
  );
  const print = (t: Trie, indent: string) => {
    for (const [key, child] of [...t.children].sort((x, y) => y[1].size - x[1].size)) {
      if (child.size / n < 48) continue;
      console.log(
        `${String(round(child.size / n, 0)).padStart(8)} ${String(round(child.count / n, 2)).padStart(6)}  ${indent}${key}`,
      );
      print(child, `${indent}  `);
    }
  };
  print(root, '');
}

/** Self time by function and by module, and inclusive time by function, of the connect profile (per connection with N). */
function summariseCpuProfile(n: number) {
  const profile = JSON.parse(readFileSync(CPU_PROFILE, 'utf8')) as CpuProfile;
  const summary = analyseProfile(profile, 45);
  const per = (ms: number) => `${String(round((ms * 1000) / n, 1)).padStart(7)} µs`;
  console.log(`\nConnect profile: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle (per connection with N=${n})`);
  console.log('  self time by module:');
  for (const m of summary.modules) console.log(`    ${per(m.ms)} ${String(m.pct).padStart(5)} %  ${m.name}`);
  console.log('  self time by function:');
  for (const f of summary.functions) console.log(`    ${per(f.ms)} ${String(f.pct).padStart(5)} %  ${f.name}`);
  const inclusive = inclusiveByFunction(profile);
  console.log('  inclusive time by function:');
  for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 60))
    console.log(`    ${per(us / 1000)}  ${key}`);
}

if (flag('analyse')) analyse(N);
else if (flag('profile-summary')) summariseCpuProfile(N);
else {
  try {
    if (flag('bundle')) await bundleServer();
    const setup = await prepare();
    await measure(setup, false);
    const connected = snapshots ? await measure(setup, true) : 0;
    await cleanup();
    if (connected) analyse(connected);
    log('done');
  } catch (error) {
    console.error(error);
    await cleanup();
    process.exitCode = 1;
  }
}
