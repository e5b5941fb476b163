import type { ExecutionResult } from 'graphql';
import type { LiveMessage } from './stream';

/**
 * One execution's result as it leaves on a socket: prepared (masked errors, error codes) and
 * serialised once, however many subscribers share the execution. The transport builds its frames
 * around `json` (server/transport/frames.ts).
 */
export type Payload = {
  json: string | null;
  result: ExecutionResult | null;
  waiters: Waiter[] | null;
  /** The transport's frame of `json`, built by the first subscriber that writes it, for those whose frame prefix is `framePrefix`. */
  frame: Buffer | null;
  framePrefix: string | null;
};

/** A subscriber waiting for a payload to settle. */
export type Waiter = { settled(): void };

/** A result as the transport sends it: once per result, however many receive it. */
export type Prepare = (result: ExecutionResult) => ExecutionResult;

export type Executor = {
  /** The shared payload of this message for this subscriber, started if nobody started it yet. */
  payloadFor(message: LiveMessage, prepare: Prepare): Payload;
};

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown })?.then === 'function';

/** Starts a payload from an execution that may or may not be async. */
export function payloadOf(execution: ExecutionResult | Promise<ExecutionResult>, prepare: Prepare): Payload {
  const payload: Payload = { json: null, result: null, waiters: null, frame: null, framePrefix: null };
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

function settle(payload: Payload, result: ExecutionResult, prepare: Prepare) {
  const prepared = prepare(result);
  payload.json = JSON.stringify(prepared);
  if (prepared.errors?.length) payload.result = prepared;
  const waiters = payload.waiters;
  payload.waiters = null;
  if (waiters) for (const waiter of waiters) waiter.settled();
}
