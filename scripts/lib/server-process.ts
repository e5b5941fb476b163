import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type ServerProcess<Ready> = {
  child: ChildProcess;
  pid: number;
  /** What `ready` returned for the line that said the server is up (e.g. its port). */
  ready: Ready;
  /** Settles when the process has exited. */
  exited: Promise<Exit>;
  /** Everything it wrote to stderr (when piped). */
  stderr(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, like a crash; resolves once it exited. */
  kill(): Promise<void>;
};

/**
 * The one way tests and the benchmark start a server as a child process: spawn it, read its stdout
 * line by line, and resolve once `ready` recognises the line that says it serves (rejecting with
 * its output if it exits or stays silent first). It dies with this process, so an aborted run
 * leaves nothing holding a port. (`npm start` runs whole process groups: scripts/lib/child.ts.)
 */
export async function startServerProcess<Ready>(options: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Looks at every stdout line; the first value other than undefined means ready. */
  ready: (line: string) => Ready | undefined;
  /** Sees every stdout line, before and after ready. */
  onLine?: (line: string) => void;
  /** 'pipe' (kept for `stderr()`, the default) or a file descriptor to write it to. */
  stderr?: 'pipe' | number;
  /** Opens an IPC channel (`child.send`, `child.on('message')`). */
  ipc?: boolean;
  timeoutMs?: number;
}): Promise<ServerProcess<Ready>> {
  const { name, timeoutMs = 60_000 } = options;
  const stdio: ('ignore' | 'pipe' | 'ipc' | number)[] = ['ignore', 'pipe', options.stderr ?? 'pipe'];
  if (options.ipc) stdio.push('ipc');
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      resolve({ code, signal });
    });
    child.once('error', () => {
      process.removeListener('exit', killOnExit);
      resolve({ code: null, signal: null });
    });
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines: string[] = [];
  const ready = await new Promise<Ready>((resolve, reject) => {
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done();
    };
    const output = () => `\nstdout: ${lines.slice(-40).join('\n')}\nstderr: ${stderr.slice(-2000)}`;
    const timer = setTimeout(
      () => settle(() => reject(new Error(`${name} did not start within ${timeoutMs} ms${output()}`))),
      timeoutMs,
    );
    child.once('error', (error) => settle(() => reject(new Error(`cannot run ${name}: ${error.message}`))));
    void exited.then(({ code, signal }) =>
      settle(() => reject(new Error(`${name} exited (${code ?? signal}) before it was ready${output()}`))),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!settled) lines.push(line);
      options.onLine?.(line);
      if (settled) return;
      const value = options.ready(line);
      if (value !== undefined) settle(() => resolve(value));
    });
  }).catch(async (error) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid!,
    ready,
    exited,
    stderr: () => stderr,
    async stop(graceMs = 15_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}
