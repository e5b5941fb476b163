import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context } from '../context';
import { userError } from '../errors';
import type { SocketCount } from './socket-count';

/**
 * The per-user cap on live subscriptions over HTTP (SSE, and any other streaming response Yoga
 * serves), the counterpart of graphql-ws's sockets per user and operations per socket.
 *
 * A stream holds one of its user's places from the transport's first read until it ends (the
 * client went away, or the stream finished): a request Yoga refuses after executing it (406) is
 * never read and never counted. Past the cap the stream's only result is a TOO_MANY_REQUESTS error.
 * Counted across instances in Redis when REDIS_URL is set, like graphql-ws sockets
 * (transport/socket-count.ts), in memory otherwise.
 * graphql-ws does not pass through here (server/transport/ws.ts runs its subscriptions itself).
 */
export function useHttpStreamLimit(limit: { max: number; count: SocketCount }): Plugin<Partial<Context>> {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ args, result, setResult }) {
          const userId = args.contextValue.viewer?.id;
          if (userId && isAsyncIterable(result)) setResult(new CountedStream(result, limit, userId));
        },
      };
    },
  };
}

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

/** Not an async generator: its `return()` must end the stream at once, even while a `next()` waits for an event. */
class CountedStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly inner: AsyncIterator<ExecutionResult>;
  private started = false;
  /** The place this stream holds, once taken. */
  private lease: string | null = null;
  private over = false;

  constructor(
    source: AsyncIterable<ExecutionResult>,
    private readonly limit: { max: number; count: SocketCount },
    private readonly userId: string,
  ) {
    this.inner = source[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.over) return DONE;
    if (!this.started) {
      this.started = true;
      const lease = await this.limit.count.acquire(this.userId);
      if (this.over) {
        if (lease) this.limit.count.release(this.userId, lease);
        return DONE;
      }
      if (!lease) {
        this.over = true;
        await this.inner.return?.();
        const limit = this.limit.max;
        return {
          value: {
            errors: [
              userError('TOO_MANY_REQUESTS', `Too many live subscriptions over HTTP for this user (limit ${limit})`, {
                limit,
              }),
            ],
          },
          done: false,
        };
      }
      this.lease = lease;
    }
    const step = await this.inner.next();
    if (step.done) this.release();
    return step;
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.over = true;
    this.release();
    await this.inner.return?.();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  private release() {
    if (!this.lease) return;
    this.limit.count.release(this.userId, this.lease);
    this.lease = null;
  }
}
