import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A child process in its own process group (`detached`), so that stopping it also stops whatever
 * it forked (`next start` and `next dev` run workers; `tsx watch` runs the server), and a Ctrl-C
 * in the terminal reaches only us: we stop children in order. Its group id goes to a pid file so
 * the next run can clean up after a SIGKILLed one (see killLeftoverGroup).
 */
export type ManagedChild = {
  pid: number;
  /** Settles when the group leader exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the group is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous SIGKILL of the group, for a forced exit. */
  kill(): void;
};

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; pidFile?: string },
): ManagedChild {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (line.trim() !== '') process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  if (options.pidFile) {
    mkdirSync(dirname(options.pidFile), { recursive: true });
    writeFileSync(options.pidFile, `${pid}\n`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  let stopping: Promise<void> | undefined;
  return {
    pid,
    exited,
    kill: () => signalGroup(pid, 'SIGKILL'),
    stop: (graceMs = 10_000) =>
      (stopping ??= (async () => {
        await stopGroup(pid, graceMs);
        if (options.pidFile) rmSync(options.pidFile, { force: true });
      })()),
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/** Live (non-zombie) processes whose process group is `pgid`, with their command lines. */
function groupMembers(pgid: number): { pid: number; cmdline: string }[] {
  const members: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || Number(fields[2]) !== pgid) continue;
      members.push({
        pid: Number(entry),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '),
      });
    } catch {
      // exited while we looked
    }
  }
  return members;
}

async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  for (const [deadline, next] of [
    [Date.now() + graceMs, 'SIGKILL'],
    [Date.now() + graceMs + 5_000, undefined],
  ] as const) {
    while (groupMembers(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupMembers(pgid).length === 0) return;
    if (next) signalGroup(pgid, next);
  }
}

/**
 * A SIGKILLed run leaves its children running (they hold :3000 or :4000). If the group recorded in
 * `pidFile` still has a member whose command line contains `marker`, stop that group.
 */
export async function killLeftoverGroup(pidFile: string, marker: string, log: (line: string) => void): Promise<void> {
  let pgid: number;
  try {
    pgid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  } catch {
    return;
  }
  const members = Number.isInteger(pgid) && pgid > 0 ? groupMembers(pgid) : [];
  if (members.some((m) => m.cmdline.includes(marker))) {
    log(`stopping leftover ${marker} from an earlier run (process group ${pgid})`);
    await stopGroup(pgid, 5_000);
  }
  rmSync(pidFile, { force: true });
}
