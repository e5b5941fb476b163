import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';

/** Requests a harness may send over an IPC channel (`stdio: [..., 'ipc']`); each gets one reply. */
export type ControlRequest =
  | { type: 'memory' }
  | { type: 'snapshot'; path: string }
  | { type: 'sample-allocations' }
  | { type: 'allocations' }
  | { type: 'cpu' }
  /** `intervalMicros`: V8's sampling interval (default 200 µs; coarser costs the profiled server less). */
  | { type: 'cpu-profile-start'; intervalMicros?: number }
  | { type: 'cpu-profile-stop'; path: string };
export type ControlReply =
  | {
      type: 'memory';
      usage: NodeJS.MemoryUsage;
      heap: ReturnType<typeof getHeapStatistics>;
      spaces: { name: string; used: number; committed: number }[];
    }
  | { type: 'snapshot'; path: string; ms: number }
  | { type: 'sample-allocations' }
  | { type: 'allocations'; sites: AllocationSite[] }
  | { type: 'cpu'; usage: NodeJS.CpuUsage; gc: GcTime }
  | { type: 'cpu-profile-start' }
  | { type: 'cpu-profile-stop'; path: string };

/** Time spent in garbage collection since the server started (PerformanceObserver 'gc' entries). */
export type GcTime = { ms: number; count: number; minorMs: number };

/** Bytes allocated (sampled) by one function since `sample-allocations`, garbage included. */
export type AllocationSite = { fn: string; url: string; line: number; bytes: number };

type SamplingNode = {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
};

/** V8's sampling heap profiler, keeping what was collected too: where the garbage comes from. */
const allocationSampler = {
  session: null as Session | null,
  async start() {
    this.session = new Session();
    this.session.connect();
    await this.session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  },
  async stop(): Promise<AllocationSite[]> {
    const { profile } = (await this.session!.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
    this.session!.disconnect();
    this.session = null;
    const sites = new Map<string, AllocationSite>();
    const visit = (node: SamplingNode) => {
      const { functionName, url, lineNumber } = node.callFrame;
      const key = `${functionName}|${url}|${lineNumber}`;
      const site = sites.get(key) ?? { fn: functionName || '(anonymous)', url, line: lineNumber + 1, bytes: 0 };
      site.bytes += node.selfSize;
      sites.set(key, site);
      for (const child of node.children) visit(child);
    };
    visit(profile.head);
    return [...sites.values()].filter((s) => s.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  },
};

/** V8's CPU profiler over the inspector, between two requests (no profile of start-up). */
const cpuProfiler = {
  session: null as Session | null,
  async start(intervalMicros = 200) {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: intervalMicros });
    await this.session.post('Profiler.start');
  },
  async stop(path: string) {
    const { profile } = await this.session!.post('Profiler.stop');
    this.session!.disconnect();
    this.session = null;
    writeFileSync(path, JSON.stringify(profile));
  },
};

const gcTime: GcTime = { ms: 0, count: 0, minorMs: 0 };
function watchGc() {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcTime.ms += entry.duration;
      gcTime.count += 1;
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
        gcTime.minorMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** Full collections half a second apart: weak callbacks, finalizers and the concurrent sweeper of one have run before the next. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * What every bench server shares with the harness: it prints `READY <port>` once listening,
 * collects garbage on SIGUSR2 (started with --expose-gc, so idle memory is read after full GCs),
 * and stops cleanly on SIGTERM/SIGINT (so `--cpu-prof` can write its profile). A harness that
 * spawns it with an IPC channel (bench/idle-heap.ts) can also ask for memory figures or a heap
 * snapshot, both after a full GC, and sample allocations (garbage included) between two requests.
 */
export function serveControl(port: number, stop: () => Promise<void>) {
  // The same settling as the memory figures below: one collection leaves the concurrent sweeper's
  // and finalizers' work undone, and RSS read a second later varied by ±1.5 KiB per idle
  // subscription from run to run (scenario (b) at 10,000: 9.5, 10.4, 12.3).
  process.on('SIGUSR2', () => void settle());
  if (process.send) {
    watchGc();
    process.on('message', async (request: ControlRequest) => {
      if (request.type === 'cpu')
        return process.send!({ type: 'cpu', usage: process.cpuUsage(), gc: { ...gcTime } } satisfies ControlReply);
      if (request.type === 'cpu-profile-start') {
        await cpuProfiler.start(request.intervalMicros);
        return process.send!({ type: 'cpu-profile-start' } satisfies ControlReply);
      }
      if (request.type === 'cpu-profile-stop') {
        await cpuProfiler.stop(request.path);
        return process.send!({ type: 'cpu-profile-stop', path: request.path } satisfies ControlReply);
      }
      if (request.type === 'sample-allocations') {
        await allocationSampler.start();
        return process.send!({ type: 'sample-allocations' } satisfies ControlReply);
      }
      if (request.type === 'allocations')
        return process.send!({ type: 'allocations', sites: await allocationSampler.stop() } satisfies ControlReply);
      await settle();
      if (request.type === 'memory') {
        const spaces = getHeapSpaceStatistics().map((s) => ({
          name: s.space_name,
          used: s.space_used_size,
          committed: s.physical_space_size,
        }));
        process.send!({
          type: 'memory',
          usage: process.memoryUsage(),
          heap: getHeapStatistics(),
          spaces,
        } satisfies ControlReply);
      } else if (request.type === 'snapshot') {
        const started = Date.now();
        writeHeapSnapshot(request.path);
        process.send!({ type: 'snapshot', path: request.path, ms: Date.now() - started } satisfies ControlReply);
      }
    });
    // The channel must not keep a stopping server alive; a harness that went away stops it.
    process.channel?.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  process.stdout.write(`READY ${port}\n`);
}
