import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the kernel says about our processes and cores: CPU time (clock ticks, 100 Hz here), RSS,
 * and machine-wide CPU time including steal. No sampling profiler, no in-process hooks: the
 * systems under test run unmodified.
 */
const TICKS_PER_SECOND = 100; // `getconf CLK_TCK` on Linux x64

function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: split after the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU seconds of one process (children that exited are counted if `withChildren`). */
export function cpuSeconds(pid: number, withChildren = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  // After the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
  const ticks = Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds of a process tree: the root (with its reaped children) and its live children. */
export function treeCpuSeconds(rootPid: number): number {
  let total = cpuSeconds(rootPid, true);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && Number(f[1]) === rootPid) total += cpuSeconds(Number(name), true);
  }
  return total;
}

/** Resident set size in KiB (VmRSS), 0 when the process is gone. */
export function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== null && f[0] !== 'Z';
}

/** Pids whose command line contains `needle` (to find a daemon we did not spawn ourselves). */
export function findPids(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) pids.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return pids;
}

export type CpuSnapshot = Record<string, { busy: number; steal: number; total: number }>;

/** Machine-wide and per-core jiffies from /proc/stat. */
export function cpuSnapshot(): CpuSnapshot {
  const out: CpuSnapshot = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [name, ...rest] = line.trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = rest.map(Number);
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    out[name] = { busy: user + nice + system + irq + softirq, steal, total };
  }
  return out;
}

/** Percentages between two snapshots: steal of the machine and busy time of each core. */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot) {
  const pct = (name: string, key: 'busy' | 'steal') => {
    const total = b[name].total - a[name].total;
    return total > 0 ? round((100 * (b[name][key] - a[name][key])) / total, 1) : 0;
  };
  const cores = Object.keys(b).filter((n) => n !== 'cpu');
  return {
    stealPct: pct('cpu', 'steal'),
    corePct: Object.fromEntries(cores.map((c) => [c, pct(c, 'busy')])),
    coreStealPct: Object.fromEntries(cores.map((c) => [c, pct(c, 'steal')])),
  };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Connections the kernel refused because a listen queue was full (TcpExt ListenOverflows, this
 * network namespace, every socket): the client's SYN is dropped and retransmitted after 1, 3, 7,
 * 15, 31 s, which is what a burst of reconnections beyond a server's accept backlog costs.
 */
export function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const keys = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const i = keys.indexOf('ListenOverflows');
  return i > 0 ? Number(values[i]) : 0;
}

/** This process's open-file limits (/proc/self/limits); children inherit them. Infinity: unlimited. */
export function openFilesLimit(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line?.slice('Max open files'.length).trim().split(/\s+/) ?? []).map((v) =>
    v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v),
  );
  return { soft: soft ?? 1024, hard: hard ?? 1024 };
}

/** A kernel setting under /proc/sys (e.g. `net/core/somaxconn`), as text; null if unreadable. */
export function sysctl(name: string): string | null {
  try {
    return readFileSync(`/proc/sys/${name}`, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return null;
  }
}

/** RSS of the servers after full GCs (they run with --expose-gc and collect three times, 0.5 s apart, on SIGUSR2). */
export async function settledRssKiB(pids: number[]) {
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return pids.reduce((s, pid) => s + rssKiB(pid), 0);
}
