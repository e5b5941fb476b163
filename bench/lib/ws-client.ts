import WebSocket from 'ws';
import { monoMicros } from './hist';

// A small graphql-transport-ws client for the harness's own measurements (chat, access changes);
// the load generators (bench/load/generator.ts) keep their byte-level hot path.

type Frame = { id?: string; type: string; payload?: { data?: Record<string, any> } };
export type OnData = (data: Record<string, any>) => void;

/** The claims of a bench token (`sub`: the user, `sid`: their session). */
export const claimsOf = (token: string): { sub: string; sid: string } =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

/**
 * One socket, acknowledged. `subscribe` hands every `next` payload to `onData`; refusals (an
 * `error` frame, or a `next` without data) go to `failures`; `closed()` says when and how it closed.
 */
export async function openGraphqlWs(url: string, token: string, failures: string[] = []) {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const handlers = new Map<string, OnData>();
  let next = 0;
  let closed: { at: number; code: number } | null = null;
  socket.on('close', (code) => {
    closed = { at: monoMicros(), code };
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connection_ack within 15 s')), 15_000);
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      if (frame.type === 'connection_ack') {
        clearTimeout(timer);
        resolve();
      } else if (frame.type === 'ping') socket.send('{"type":"pong"}');
      else if (frame.type === 'next' && frame.id && frame.payload?.data) handlers.get(frame.id)?.(frame.payload.data);
      else if (frame.type === 'error' || frame.type === 'next')
        failures.push(JSON.stringify(frame.payload).slice(0, 300));
    });
    socket.on('error', reject);
  });
  return {
    subscribe(query: string, variables: Record<string, unknown>, onData: OnData = () => {}) {
      const id = String(++next);
      handlers.set(id, onData);
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
    },
    closed: () => closed,
    close: () => socket.close(),
    terminate: () => socket.terminate(),
  };
}
export type GraphqlWs = Awaited<ReturnType<typeof openGraphqlWs>>;
