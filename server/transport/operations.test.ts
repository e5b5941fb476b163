/**
 * Issue 18.1 — the protocol core's operation registry, deterministically: `operate` answers when
 * the test says so. An operation is its entry, not its id: a `complete` and a new `subscribe` with
 * the same id while the first still starts give two operations, each ending its own stream, and the
 * per-socket count includes operations still starting.
 */
import type { AddressInfo } from 'node:net';
import type { ExecutionResult } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { rawSocket, waitFor } from '../../test/live';
import { type Outcome, pickProtocol, serveGraphQLTransportWs } from './graphql-transport-ws';

/** A stream that yields nothing until ended; `ended` tells whether anyone called `return()`. */
class FakeStream implements AsyncIterableIterator<ExecutionResult> {
  ended = false;
  private resolve: ((step: IteratorResult<ExecutionResult>) => void) | null = null;
  [Symbol.asyncIterator]() {
    return this;
  }
  next() {
    return new Promise<IteratorResult<ExecutionResult>>((resolve) => (this.resolve = resolve));
  }
  async return() {
    this.ended = true;
    this.resolve?.({ value: undefined, done: true });
    return { value: undefined, done: true as const };
  }
}

type Call = { id: string; running: number; answer(outcome: Outcome): void };

let stopServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopServer?.();
  stopServer = undefined;
});

/** The protocol core on a free port with handlers whose `operate` waits for the test. */
async function serve() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: pickProtocol });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const calls: Call[] = [];
  let closed = 0;
  serveGraphQLTransportWs<object>(
    wss,
    {
      init: async () => ({}),
      operate: (_session, _socket, id, _payload, running) =>
        new Promise<Outcome>((answer) => calls.push({ id, running, answer })),
      result: (result) => result,
      refused: (errors) => errors,
      closed: () => {
        closed += 1;
      },
      failed: (error) => {
        throw error;
      },
    },
    { initTimeoutMs: 10_000 },
  );
  stopServer = () => {
    for (const client of wss.clients) client.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  };
  const ws = rawSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await ws.send({ type: 'connection_init' });
  await ws.messages.find((m) => m.type === 'connection_ack');
  return { ws, calls, closedSockets: () => closed };
}

const subscribe = (id: string) => ({ id, type: 'subscribe', payload: { query: 'subscription { x }' } });

describe('graphql-transport-ws: operations are entries, not ids', () => {
  it('a reused id: each attempt ends its own stream; the last one alone runs, and ends with the socket', async () => {
    const { ws, calls, closedSockets } = await serve();
    for (let i = 0; i < 20; i++) {
      await ws.send(subscribe('X'));
      await ws.send({ id: 'X', type: 'complete' });
    }
    await ws.send(subscribe('X'));
    await waitFor(() => calls.length === 21, { what: '21 operations asked for' });
    const streams = calls.map(() => new FakeStream());
    for (const [i, call] of calls.entries()) call.answer(streams[i]);
    await waitFor(() => streams.slice(0, 20).every((s) => s.ended), { what: 'the 20 completed attempts ended' });
    expect(streams[20].ended).toBe(false);
    ws.close();
    await waitFor(() => closedSockets() === 1 && streams[20].ended, { what: 'the last stream ended with its socket' });
  });

  it('the per-socket count includes operations completed while still starting, and drops them once they end', async () => {
    const { ws, calls } = await serve();
    for (let i = 0; i < 20; i++) {
      await ws.send(subscribe('X'));
      await ws.send({ id: 'X', type: 'complete' });
    }
    await ws.send(subscribe('Y'));
    await waitFor(() => calls.length === 21, { what: '21 operations asked for' });
    // Twenty attempts still starting and Y itself.
    expect(calls[20]).toMatchObject({ id: 'Y', running: 21 });
    const streams = calls.map(() => new FakeStream());
    for (const [i, call] of calls.entries()) call.answer(streams[i]);
    await waitFor(() => streams.slice(0, 20).every((s) => s.ended), { what: 'the completed attempts ended' });
    await ws.send(subscribe('Z'));
    await waitFor(() => calls.length === 22, { what: 'Z asked for' });
    // Y and Z.
    expect(calls[21]).toMatchObject({ id: 'Z', running: 2 });
  });

  it('an operation answered with a result, or refused, stops counting; the id may be used again', async () => {
    const { ws, calls } = await serve();
    await ws.send(subscribe('A'));
    await waitFor(() => calls.length === 1);
    calls[0].answer({ data: { x: 1 } });
    await ws.messages.find((m) => m.id === 'A' && m.type === 'complete');
    await ws.send(subscribe('A'));
    await waitFor(() => calls.length === 2);
    expect(calls[1].running).toBe(1);
    calls[1].answer([]);
    await ws.messages.find((m) => m.id === 'A' && m.type === 'error');
    await ws.send(subscribe('B'));
    await waitFor(() => calls.length === 3);
    expect(calls[2].running).toBe(1);
  });
});
