/**
 * Ordered shutdown for `npm start`: whatever starts registers how to stop it; on Ctrl-C, SIGTERM,
 * SIGHUP or a failure everything stops in reverse order (web, API, Postgres), each step bounded in
 * time, and only then does the process exit. A second signal forces: SIGKILL children, exit 1.
 */
type Step = { name: string; stop: () => Promise<void>; kill?: () => void };

export class Shutdown {
  private readonly steps: Step[] = [];
  private inflight: Promise<unknown> | undefined;
  private exiting: Promise<never> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  get stopping(): boolean {
    return this.exiting !== undefined;
  }

  /**
   * Registers how to undo something just started. `kill` is the synchronous last resort.
   * Returns a function that forgets the step (for things that end by themselves, like a build).
   */
  defer(name: string, stop: () => Promise<void>, kill?: () => void): () => void {
    const step = { name, stop, kill };
    this.steps.push(step);
    return () => {
      const index = this.steps.indexOf(step);
      if (index >= 0) this.steps.splice(index, 1);
    };
  }

  /** Marks a start-up step in progress: an exit waits for it, then undoes what it registered. */
  async track<T>(work: Promise<T>): Promise<T> {
    this.inflight = work;
    try {
      return await work;
    } finally {
      if (this.inflight === work) this.inflight = undefined;
      // biome-ignore lint/correctness/noUnsafeFinally: a step that finishes while stopping must not let start-up go on
      if (this.stopping) throw new StoppingError();
    }
  }

  exit(code: number, reason?: string): Promise<never> {
    return (this.exiting ??= (async () => {
      if (reason) this.log(reason);
      // Undo, wait for a start-up step still running (it may register more), undo again.
      for (;;) {
        await this.unwind();
        const pending = this.inflight;
        if (!pending) break;
        await pending.catch(() => {});
        if (this.inflight === pending) this.inflight = undefined;
      }
      process.exit(code);
    })());
  }

  handleSignals(): void {
    let firstAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!this.stopping) {
        firstAt = Date.now();
        void this.exit(0, `${signal}: stopping (press Ctrl-C again to force)`);
        return;
      }
      // One Ctrl-C often arrives twice: from the terminal to our process group and forwarded by
      // npm (`exec` makes us npm's child). Only a later signal is a person asking to force.
      if (Date.now() - firstAt < 2_000) return;
      this.log(`${signal} again: forcing exit`);
      for (const step of this.steps) step.kill?.();
      process.exit(1);
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  }

  private async unwind(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.log(`stopping ${step!.name} takes too long: killing it`);
          step!.kill?.();
          resolve();
        }, 20_000);
      });
      try {
        await Promise.race([step.stop(), timeout]);
        this.log(`stopped ${step.name} (${Date.now() - started} ms)`);
      } catch (error) {
        this.log(`stopping ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** Thrown out of `track` when a start-up step finishes after shutdown began. */
export class StoppingError extends Error {
  constructor() {
    super('stopping');
  }
}
