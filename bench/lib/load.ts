import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GeneratorCommand, GeneratorReply, GeneratorReport, SubscriberSpec } from '../load/protocol';
import { merge, newHistogram } from './hist';
import { withAllOpenFiles } from './infra';

const GENERATOR = fileURLToPath(new URL('../load/generator.ts', import.meta.url));

type Worker = { child: ChildProcess; waiters: ((reply: GeneratorReply) => void)[] };

/**
 * `spill`: the generators run on these cores (the server's too) at idle priority (SCHED_IDLE)
 * instead of on the load core alone. There they take only what the server leaves of its own core,
 * so the load side has more CPU than the server, and the server fills its core first wherever it
 * costs per frame no more than a generator does: a saturation search then measures the server,
 * not the machine.
 */
export type Spill = { cores: string };

/** Load-generator worker processes on `core` (or spilled, see `Spill`), driven over IPC. */
export async function startGenerators(count: number, core: string, spill?: Spill) {
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) {
    const { command, args } = withAllOpenFiles('taskset', [
      '-c',
      spill?.cores ?? core,
      ...(spill ? ['chrt', '--idle', '0'] : []),
      process.execPath,
      '--max-old-space-size=4096',
      '--import',
      'tsx',
      GENERATOR,
    ]);
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker: Worker = { child, waiters: [] };
    child.on('message', (reply: GeneratorReply) => worker.waiters.shift()?.(reply));
    workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      worker.waiters.push(() => resolve());
      child.once('exit', (code) => reject(new Error(`load generator exited (${code}) before it started`)));
    });
  }

  const ask = <T extends GeneratorReply['type']>(w: Worker, command: GeneratorCommand, _expect: T) =>
    new Promise<Extract<GeneratorReply, { type: T }>>((resolve) => {
      w.waiters.push((reply) => resolve(reply as Extract<GeneratorReply, { type: T }>));
      w.child.send(command);
    });

  return {
    pids: () => workers.map((w) => w.child.pid!),
    /** Splits the sockets round-robin over the workers and opens every socket and subscription. */
    async connect(options: {
      url: string | string[];
      /** Where a dropped socket goes next (after its own url, in turn); none: back to its own. */
      failover?: string[];
      /** 'web': the web client's backoff and jitter; 'short' (default): 100–500 ms. */
      backoff?: 'web' | 'short';
      courses: number;
      query: string;
      resumeWithCursor: boolean;
      subscribers: SubscriberSpec[];
      concurrency?: number;
      /** Loopback source addresses, each worker's subscribers spread over all of them. */
      localAddresses?: string[];
    }) {
      const urls = Array.isArray(options.url) ? options.url : [options.url];
      // With several servers, each worker talks to one of them: subscribers split across instances.
      const results = await Promise.all(
        workers.map((w, i) =>
          ask(
            w,
            {
              type: 'connect',
              urls: [urls[i % urls.length], ...(options.failover ?? [])],
              backoff: options.backoff ?? 'short',
              courses: options.courses,
              query: options.query,
              resumeWithCursor: options.resumeWithCursor,
              subscribers: options.subscribers.filter((_, j) => j % workers.length === i),
              concurrency: options.concurrency ?? 100,
              localAddresses: options.localAddresses,
            },
            'connected',
          ),
        ),
      );
      return {
        connected: results.reduce((n, r) => n + r.connected, 0),
        subscriptions: results.reduce((n, r) => n + r.subscriptions, 0),
        failed: results.reduce((n, r) => n + r.failed, 0),
        ms: Math.max(...results.map((r) => r.ms)),
      };
    },
    async phase(start: number, end: number) {
      await Promise.all(workers.map((w) => ask(w, { type: 'phase', start, end }, 'phase-ready')));
    },
    async progress() {
      const r = await Promise.all(workers.map((w) => ask(w, { type: 'progress' }, 'progress')));
      return { received: r.reduce((n, x) => n + x.received, 0), open: r.reduce((n, x) => n + x.open, 0) };
    },
    async report(courseOfSeq: number[], sent: number): Promise<GeneratorReport> {
      return mergeReports(
        await Promise.all(workers.map((w) => ask(w, { type: 'report', courseOfSeq, sent }, 'report'))),
      );
    },
    stop: () => stopWorkers(workers.map((w) => w.child)),
  };
}

/** Asks each worker process to close, and kills one that has not exited 5 s later. */
export async function stopWorkers(children: ChildProcess[]) {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

export type Generators = Awaited<ReturnType<typeof startGenerators>>;
/** What a measured phase drives: one set of generators, or several as one (combineGenerators). */
export type Receivers = Pick<Generators, 'pids' | 'phase' | 'progress' | 'report'>;

/** Several generator sets (e.g. subscribers of different instances) measured as one. */
export function combineGenerators(sets: Receivers[]): Receivers {
  return {
    pids: () => sets.flatMap((g) => g.pids()),
    phase: async (start, end) => void (await Promise.all(sets.map((g) => g.phase(start, end)))),
    async progress() {
      const r = await Promise.all(sets.map((g) => g.progress()));
      return { received: r.reduce((n, x) => n + x.received, 0), open: r.reduce((n, x) => n + x.open, 0) };
    },
    report: async (courseOfSeq, sent) => mergeReports(await Promise.all(sets.map((g) => g.report(courseOfSeq, sent)))),
  };
}

function mergeReports(parts: GeneratorReport[]): GeneratorReport {
  const total: GeneratorReport = {
    hist: newHistogram(),
    received: 0,
    outOfPhase: 0,
    slowConsumer: 0,
    resumed: 0,
    reconnects: 0,
    closeCodes: {},
    errors: 0,
    closes: 0,
    firstAt: Infinity,
    lastAt: 0,
    otherErrors: [],
    expected: 0,
    lost: 0,
    duplicated: 0,
    distinct: 0,
    histBySecond: [],
    resubscribedAt: [],
    caughtUpAt: [],
  };
  const bySecond = new Map<number, ReturnType<typeof newHistogram>>();
  for (const p of parts) {
    for (const [second, h] of p.histBySecond) {
      if (!bySecond.has(second)) bySecond.set(second, newHistogram());
      merge(bySecond.get(second)!, h);
    }
    total.resubscribedAt.push(...p.resubscribedAt);
    total.caughtUpAt.push(...p.caughtUpAt);
    merge(total.hist, p.hist);
    for (const k of [
      'received',
      'outOfPhase',
      'slowConsumer',
      'resumed',
      'reconnects',
      'errors',
      'closes',
      'expected',
      'lost',
      'duplicated',
      'distinct',
    ] as const)
      total[k] += p[k];
    for (const [code, n] of Object.entries(p.closeCodes)) total.closeCodes[code] = (total.closeCodes[code] ?? 0) + n;
    if (p.firstAt) total.firstAt = Math.min(total.firstAt, p.firstAt);
    total.lastAt = Math.max(total.lastAt, p.lastAt);
    total.otherErrors.push(...p.otherErrors);
  }
  if (total.firstAt === Infinity) total.firstAt = 0;
  total.histBySecond = [...bySecond];
  return total;
}

/**
 * Waits until the receivers hold `expected` deliveries, or until nothing new came for `quietMs`
 * (the rest is lost, or still on its way back after a reconnect), or `timeoutMs` passed.
 */
export async function awaitDeliveries(
  gens: Pick<Receivers, 'progress'>,
  expected: number,
  o: { quietMs: number; timeoutMs: number; pollMs: number },
) {
  const deadline = Date.now() + o.timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { received } = await gens.progress();
    if (received >= expected) return;
    if (received !== last) (last = received), (lastChange = Date.now());
    if (Date.now() - lastChange > o.quietMs || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}
