import type { Writable } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import type { Executor, Payload, Prepare, Waiter } from '../live/payload';
import type { LiveMessage, LiveStream, StreamSink } from '../live/stream';
import type { SelfSending, StreamEndListener } from './graphql-transport-ws';

/**
 * Where a graphql-ws subscription's frames go (server/transport/ws.ts). Live
 * subscriptions write their `next` frames straight to the socket instead of being iterated one
 * result at a time (promises, hooks and a JSON.stringify per subscriber per event): a result
 * shared by many subscribers is serialised once.
 */
export type FrameTarget = {
  socket: WebSocket;
  /**
   * The socket under `socket` (the upgrade request's): `next` frames are written to it whole,
   * prebuilt, instead of through `socket.send` (a UTF-8 encode, a header and a two-buffer
   * `writev` per subscriber). ws keeps no state of its own between frames without compression,
   * which this server does not offer, so both write in order to the same stream.
   */
  wire: Pick<Writable, 'write' | 'cork' | 'uncork'>;
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
 * transport holds what it returns as the operation: its `return()` ends the stream on `complete`
 * or socket close, and it tells the transport when it ends by itself (`onEnd`), so that nothing
 * waits on a pending `next()` per subscription. Its iterator yields nothing and ends with it
 * (tests await that).
 */
export function sendFrames(
  stream: LiveStream,
  executor: Executor,
  target: FrameTarget,
): SelfSending & AsyncIterableIterator<ExecutionResult> {
  return new FrameSender(stream, executor, target);
}

/** Frame prefixes by operation id: clients number their operations, so a few ids serve most subscriptions (not a string each). */
const prefixes = new Map<string, string>();
const MAX_PREFIXES = 1024;

function prefixOf(id: string) {
  let prefix = prefixes.get(id);
  if (prefix === undefined) {
    prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    if (prefixes.size < MAX_PREFIXES) prefixes.set(id, prefix);
  }
  return prefix;
}

/** A WebSocket text frame as a server sends it (final, unmasked) of `prefix + json + '}'`. */
export function textFrame(prefix: string, json: string): Buffer {
  const prefixBytes = Buffer.byteLength(prefix);
  const length = prefixBytes + Buffer.byteLength(json) + 1;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(prefix, header);
  frame.write(json, header + prefixBytes);
  frame[frame.length - 1] = 0x7d;
  return frame;
}

/** The payload's frame for this prefix: built once for the first prefix that asks (clients number operations alike), per subscriber for others. */
function frameOf(payload: Payload, prefix: string): Buffer {
  if (payload.framePrefix === prefix) return payload.frame!;
  const frame = textFrame(prefix, payload.json!);
  if (payload.framePrefix === null) {
    payload.framePrefix = prefix;
    payload.frame = frame;
  }
  return frame;
}

const endBurstTurn = (sender: FrameSender) => sender.endBurstTurn();

/** One subscription's sink: a class, not closures, since thousands stay open for hours. */
class FrameSender implements StreamSink, Waiter, SelfSending, AsyncIterableIterator<ExecutionResult> {
  private readonly prefix: string;
  /** Taken messages, in order; the head waits for its execution. Emptied with `length = 0`, which frees its storage. */
  private readonly queue: Payload[] = [];
  private cancelled = false;
  private streamEnded = false;
  private finished = false;
  private wait: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  private endListener: StreamEndListener | null = null;
  private drainPoll: NodeJS.Timeout | undefined;
  /** It declined a message: the stream waits for `resume()`. */
  private blocked = false;
  private uncheckedTakes = 0;
  /** Replaying: the frames of one turn of the event loop leave in one system call. */
  private burst = false;
  private corked = false;

  constructor(
    private readonly stream: LiveStream,
    private readonly executor: Executor,
    private readonly target: FrameTarget,
  ) {
    this.prefix = prefixOf(target.id);
    stream.pushTo(this);
  }

  ready() {
    if (this.cancelled) return false;
    this.blocked = this.queue.length >= WINDOW || this.socketFull();
    return !this.blocked;
  }

  take(message: LiveMessage) {
    const payload = this.executor.payloadFor(message, this.target.prepare);
    // Serialised already and nothing ahead of it (most deliveries): written without touching the queue.
    if (payload.json !== null && this.queue.length === 0) return this.write(payload);
    this.queue.push(payload);
    if (payload.json !== null) this.flush();
    else payload.waiters!.push(this);
  }

  end() {
    this.streamEnded = true;
    this.flush();
  }

  // A resume after a dropped socket hands over everything it missed at once: one `writev` per
  // turn instead of a `write` per frame (a reconnect storm's survivor spent most of its time there).
  replaying(on: boolean) {
    this.burst = on;
  }

  /** The turn's frames leave (process.nextTick: a method, not a closure per subscription). */
  endBurstTurn() {
    this.corked = false;
    this.target.wire.uncork();
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

  private write(payload: Payload) {
    const { socket } = this.target;
    if (this.cancelled || socket.readyState !== socket.OPEN) return;
    if (payload.result) this.target.onErrors?.(payload.result);
    const { wire } = this.target;
    if (this.burst && !this.corked) {
      this.corked = true;
      wire.cork();
      process.nextTick(endBurstTurn, this);
    }
    wire.write(frameOf(payload, this.prefix));
  }

  private flush() {
    const { queue } = this;
    while (queue.length > 0 && queue[0].json !== null) this.write(queue.shift()!);
    // Optimised `shift()` keeps an emptied array's storage (17 slots), for as long as the subscription lives.
    if (queue.length === 0) queue.length = 0;
    if (this.blocked && queue.length < WINDOW && !this.cancelled) {
      this.blocked = false;
      this.stream.resume();
    }
    if (this.streamEnded && queue.length === 0) this.finish();
  }

  private finish() {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.drainPoll);
    const resolve = this.wait;
    this.wait = null;
    resolve?.({ value: undefined, done: true });
    this.endListener?.streamEnded();
  }

  onEnd(listener: StreamEndListener) {
    if (this.finished) listener.streamEnded();
    else this.endListener = listener;
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
