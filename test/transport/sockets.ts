import WebSocket from 'ws';
import { rawSocket } from '../live';

/**
 * The WebSocket upgrade alone, with chosen headers (e.g. Origin): `open` with the negotiated
 * subprotocol, or the HTTP status the server refused the upgrade with.
 */
export function upgrade(
  wsUrl: string,
  headers: Record<string, string> = {},
): Promise<{ opened: true; protocol: string } | { opened: false; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { headers });
    socket.once('open', () => {
      resolve({ opened: true, protocol: socket.protocol });
      socket.close();
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? 0 });
      res.resume();
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

/** Resolves once the socket got connection_ack ('acked') or was closed (its code and reason). */
export async function ackOrClose(ws: ReturnType<typeof rawSocket>, timeoutMs = 15_000) {
  const acked = ws.messages
    .find((m) => m.type === 'connection_ack', timeoutMs, 'connection_ack')
    .then(
      () => 'acked' as const,
      () => null,
    );
  const closed = ws.closes.count(1, timeoutMs).then(
    (closes) => closes[0],
    () => null,
  );
  const first = await Promise.race([acked, closed]);
  if (!first) throw new Error(`neither connection_ack nor a close within ${timeoutMs} ms`);
  return first;
}

/** A raw graphql-transport-ws socket (test/live `rawSocket`) that sent connection_init with a token and got its ack. */
export async function ackedSocket(wsUrl: string, token: string) {
  const ws = rawSocket(wsUrl);
  const result = await initResult(ws, { authorization: `Bearer ${token}` });
  if (result !== 'acked') throw new Error(`expected connection_ack, got close ${JSON.stringify(result)}`);
  return ws;
}

/** Sends connection_init and resolves with 'acked' or the close. */
export async function initResult(ws: ReturnType<typeof rawSocket>, payload: unknown) {
  await ws.send({ type: 'connection_init', payload });
  return ackOrClose(ws);
}

/** Resolves once operation `id` got an answer (next, error or complete) or the socket closed. */
export async function answerOrClose(ws: ReturnType<typeof rawSocket>, id: string, timeoutMs = 15_000) {
  const closed = () => ws.closes.items.length > 0;
  notifyOnClose(ws);
  await ws.messages.until(
    () => closed() || ws.messages.items.some((m) => m.id === id),
    timeoutMs,
    `an answer to ${id} or a close`,
  );
  return { answer: ws.messages.items.find((m) => m.id === id) ?? null, closed: ws.closes.items[0] ?? null };
}

let operationIds = 0;
/**
 * Runs one operation over an acked raw socket and resolves when it ended: its `next` payloads, its
 * `error` payload, or the close that ended it.
 */
export async function runOperation(
  ws: ReturnType<typeof rawSocket>,
  query: string,
  variables: Record<string, unknown> = {},
  timeoutMs = 15_000,
) {
  const id = `op${++operationIds}`;
  await ws.send({ id, type: 'subscribe', payload: { query, variables } });
  notifyOnClose(ws);
  await ws.messages.until(
    () =>
      ws.closes.items.length > 0 ||
      ws.messages.items.some((m) => m.id === id && (m.type === 'complete' || m.type === 'error')),
    timeoutMs,
    `operation ${id} to end`,
  );
  const mine = ws.messages.items.filter((m) => m.id === id);
  return {
    results: mine
      .filter((m) => m.type === 'next')
      .map((m) => m.payload as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] }),
    error: mine.find((m) => m.type === 'error')?.payload as
      | { message: string; extensions?: Record<string, any> }[]
      | undefined,
    closed: ws.closes.items[0] ?? null,
  };
}

const notifying = new WeakSet<object>();
/** Makes waits on `messages` wake up when the socket closes too. */
function notifyOnClose(ws: ReturnType<typeof rawSocket>) {
  if (notifying.has(ws.socket)) return;
  notifying.add(ws.socket);
  ws.socket.on('close', () => ws.messages.notify());
}
