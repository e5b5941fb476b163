import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import type { Executor, Payload, Prepare, Waiter } from '../live/payload';
import type { LiveMessage, LiveStream, StreamSink } from '../live/stream';

/**
 * Where a graphql-ws subscription's frames go (server/transport/ws.ts). Live
 * subscriptions write their `next` frames straight to the socket instead of being iterated one
 * result at a time (promises, hooks and a JSON.stringify per subscriber per event): a result
 * shared by many subscribers is serialised once.
 */
export type FrameTarget = {
  socket: WebSocket;
  id: string;
  /** A result as the transport sends it (masked errors, error codes): once per result, however many receive it. */
  prepare: Prepare;
  /** Called for each delivery of a (prepared) result with errors (metrics). */
  onErrors?(result: ExecutionResult): void;
};

/** Messages taken but still executing, per subscription; past it the stream holds them (and counts them against its bound). */
const WINDOW = 64;
/** Bytes the socket may hold unsent before the subscription stops taking messages (the kernel's buffer is full: the client is not reading). */
const MAX_BUFFERED_BYTES = 256 * 1024;
/** How often a subscription that stopped taking messages looks at its socket's buffer again. */
const DRAIN_POLL_MS = 50;
/** The buffer is looked at every this many messages (reading it costs as much as the rest of taking one); a full one then holds at most this many more frames. */
export const CHECK_BUFFER_EVERY = 16;

/**
 * Drives a live stream in push mode and writes its results to the target socket in order. The
 * returned iterator yields nothing: the transport holds it as the operation (its `return()` ends the
 * stream on `complete` or socket close) and sends `complete` when it ends.
 */
export function sendFrames(
  stream: LiveStream,
  executor: Executor,
  target: FrameTarget,
): AsyncIterableIterator<ExecutionResult> {
  return new FrameSender(stream, executor, target);
}

/** One subscription's sink: a class, not closures, since thousands stay open for hours. */
class FrameSender implements StreamSink, Waiter, AsyncIterableIterator<ExecutionResult> {
  private readonly prefix: string;
  /** Taken messages, in order; the head waits for its execution. */
  private readonly queue: Payload[] = [];
  private cancelled = false;
  private streamEnded = false;
  private finished = false;
  private wait: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  private drainPoll: NodeJS.Timeout | undefined;
  /** It declined a message: the stream waits for `resume()`. */
  private blocked = false;
  private uncheckedTakes = 0;

  constructor(
    private readonly stream: LiveStream,
    private readonly executor: Executor,
    private readonly target: FrameTarget,
  ) {
    this.prefix = `{"id":${JSON.stringify(target.id)},"type":"next","payload":`;
    stream.pushTo(this);
  }

  ready() {
    if (this.cancelled) return false;
    this.blocked = this.queue.length >= WINDOW || this.socketFull();
    return !this.blocked;
  }

  take(message: LiveMessage) {
    const payload = this.executor.payloadFor(message, this.target.prepare);
    this.queue.push(payload);
    if (payload.json !== null) this.flush();
    else payload.waiters!.push(this);
  }

  end() {
    this.streamEnded = true;
    this.flush();
  }

  /** A payload this subscriber waits for has settled. */
  settled() {
    this.flush();
  }

  // No write callback per frame (it costs more than the write): the socket's buffer tells whether the client keeps up.
  private socketFull() {
    if (this.drainPoll === undefined && ++this.uncheckedTakes < CHECK_BUFFER_EVERY) return false;
    this.uncheckedTakes = 0;
    const { socket } = this.target;
    if (socket.bufferedAmount < MAX_BUFFERED_BYTES) return false;
    this.drainPoll ??= setInterval(() => this.checkDrained(), DRAIN_POLL_MS);
    return true;
  }

  private checkDrained() {
    const { socket } = this.target;
    if (!this.cancelled && socket.bufferedAmount >= MAX_BUFFERED_BYTES && socket.readyState === socket.OPEN) return;
    clearInterval(this.drainPoll);
    this.drainPoll = undefined;
    if (!this.cancelled) this.stream.resume();
  }

  private flush() {
    const { queue, target } = this;
    const { socket } = target;
    while (queue.length > 0 && queue[0].json !== null) {
      const payload = queue.shift()!;
      if (this.cancelled || socket.readyState !== socket.OPEN) continue;
      if (payload.result) target.onErrors?.(payload.result);
      socket.send(`${this.prefix + payload.json}}`);
    }
    if (this.blocked && queue.length < WINDOW && !this.cancelled) {
      this.blocked = false;
      this.stream.resume();
    }
    if (this.streamEnded && queue.length === 0) this.finish();
  }

  private finish() {
    this.finished = true;
    clearInterval(this.drainPoll);
    const resolve = this.wait;
    this.wait = null;
    resolve?.({ value: undefined, done: true });
  }

  private async stop() {
    this.cancelled = true;
    this.queue.length = 0;
    await this.stream.return();
    this.finish();
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.wait = resolve));
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.stop();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.stop();
    throw error;
  }
}
