import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import type { LiveMessage, LiveStream } from './stream';

/**
 * Where a graphql-ws subscription's frames go, set on its context by the transport. Live
 * subscriptions write their `next` frames straight to the socket instead of going through
 * graphql-ws's per-subscription async iteration (promises, hooks and a JSON.stringify per
 * subscriber per event): a result shared by many subscribers is serialised once.
 */
export type FrameTarget = {
  socket: WebSocket;
  id: string;
  /** A result as the transport sends it (masked errors, error codes): once per result, however many receive it. */
  prepare(result: ExecutionResult): ExecutionResult;
  /** Called for each delivery of a (prepared) result with errors (metrics). */
  onErrors?(result: ExecutionResult): void;
};

/** One execution's frame payload; subscribers that share the execution share it. */
export type Payload = { json: string | null; result: ExecutionResult | null; waiters: (() => void)[] | null };

export type Executor = {
  /** The shared payload of this message for this subscriber, started if nobody started it yet. */
  payloadFor(message: LiveMessage, prepare: FrameTarget['prepare']): Payload;
};

/** Messages taken but still executing, per subscription; past it the stream holds them (and counts them against its bound). */
const WINDOW = 64;
/** Bytes the socket may hold unsent before the subscription stops taking messages (the kernel's buffer is full: the client is not reading). */
const MAX_BUFFERED_BYTES = 256 * 1024;
/** How often a subscription that stopped taking messages looks at its socket's buffer again. */
const DRAIN_POLL_MS = 50;

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as { then?: unknown })?.then === 'function';

/** Starts a payload from an execution that may or may not be async. */
export function payloadOf(execution: ExecutionResult | Promise<ExecutionResult>, prepare: FrameTarget['prepare']): Payload {
  const payload: Payload = { json: null, result: null, waiters: null };
  if (!isPromise(execution)) {
    settle(payload, execution, prepare);
    return payload;
  }
  payload.waiters = [];
  execution.then(
    (result) => settle(payload, result, prepare),
    (error: unknown) => settle(payload, { errors: [error as never] }, prepare),
  );
  return payload;
}

function settle(payload: Payload, result: ExecutionResult, prepare: FrameTarget['prepare']) {
  const prepared = prepare(result);
  payload.json = JSON.stringify(prepared);
  if (prepared.errors?.length) payload.result = prepared;
  const waiters = payload.waiters;
  payload.waiters = null;
  if (waiters) for (const wake of waiters) wake();
}

/**
 * Drives a live stream in push mode and writes its results to the target socket in order. The
 * returned iterator yields nothing: graphql-ws holds it as the operation (its `return()` ends the
 * stream on `complete` or socket close) and sends `complete` when it ends.
 */
export function sendFrames(stream: LiveStream, executor: Executor, target: FrameTarget): AsyncIterableIterator<ExecutionResult> {
  const { socket } = target;
  const prefix = `{"id":${JSON.stringify(target.id)},"type":"next","payload":`;
  const queue: Payload[] = [];
  let cancelled = false;
  let streamEnded = false;
  let finished = false;
  let wait: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  let drainPoll: NodeJS.Timeout | undefined;
  /** It declined a message: the stream waits for `resume()`. */
  let blocked = false;

  // No write callback per frame (it costs more than the write): the socket's buffer tells whether the client keeps up.
  function socketFull() {
    if (socket.bufferedAmount < MAX_BUFFERED_BYTES) return false;
    drainPoll ??= setInterval(() => {
      if (!cancelled && socket.bufferedAmount >= MAX_BUFFERED_BYTES && socket.readyState === socket.OPEN) return;
      clearInterval(drainPoll);
      drainPoll = undefined;
      if (!cancelled) stream.resume();
    }, DRAIN_POLL_MS);
    return true;
  }

  function flush() {
    while (queue.length > 0 && queue[0].json !== null) {
      const payload = queue.shift()!;
      if (cancelled || socket.readyState !== socket.OPEN) continue;
      if (payload.result) target.onErrors?.(payload.result);
      socket.send(prefix + payload.json + '}');
    }
    if (blocked && queue.length < WINDOW && !cancelled) {
      blocked = false;
      stream.resume();
    }
    if (streamEnded && queue.length === 0) finish();
  }

  function finish() {
    finished = true;
    clearInterval(drainPoll);
    const resolve = wait;
    wait = null;
    resolve?.({ value: undefined, done: true });
  }

  async function stop() {
    cancelled = true;
    queue.length = 0;
    await stream.return!();
    finish();
  }

  stream.pushTo({
    ready() {
      if (cancelled) return false;
      blocked = queue.length >= WINDOW || socketFull();
      return !blocked;
    },
    take(message) {
      const payload = executor.payloadFor(message, target.prepare);
      queue.push(payload);
      if (payload.json !== null) flush();
      else payload.waiters!.push(flush);
    },
    end() {
      streamEnded = true;
      flush();
    },
  });

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (wait = resolve));
    },
    async return() {
      await stop();
      return { value: undefined, done: true };
    },
    async throw(error) {
      await stop();
      throw error;
    },
  };
}
