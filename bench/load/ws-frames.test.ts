import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { FrameReader, WsClient } from './ws-frames';

/** A server→client frame (unmasked), `fin` and `opcode` as given. */
function frame(opcode: number, payload: Buffer | string, fin = true, masked = false): Buffer {
  const body = Buffer.from(payload);
  const n = body.length;
  const header = n < 126 ? Buffer.from([0, n]) : n < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 0x10000) (header[1] = 126), header.writeUInt16BE(n, 2);
  else if (n >= 0x10000) (header[1] = 127), header.writeUInt32BE(0, 2), header.writeUInt32BE(n, 6);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (masked) header[1] |= 0x80;
  return Buffer.concat([header, masked ? Buffer.alloc(4) : Buffer.alloc(0), body]);
}

const close = (code: number, reason: string) => {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return frame(0x8, payload);
};

function collect() {
  const events: string[] = [];
  const reader = new FrameReader({
    message: (data, start, end) =>
      events.push(`message ${end - start} ${data.toString('utf8', start, end).slice(0, 20)}`),
    ping: (data, start, end) => events.push(`ping ${data.toString('utf8', start, end)}`),
    close: (data, start, end) =>
      events.push(`close ${data.readUInt16BE(start)} ${data.toString('utf8', start + 2, end)}`),
    fail: (error, code) => events.push(`fail ${code} ${error.message}`),
  });
  return { events, reader };
}

describe('FrameReader', () => {
  const long = 'x'.repeat(300); // 16-bit length
  const huge = `${'y'.repeat(70_000)}z`; // 64-bit length
  const stream = Buffer.concat([
    frame(0x1, 'hello'),
    frame(0x1, long),
    frame(0x1, huge),
    frame(0x9, 'are you there'),
    frame(0x1, 'frag', false),
    frame(0x9, 'between'),
    frame(0x0, 'ment', false),
    frame(0x0, 'ed', true),
    frame(0xa, 'pong: ignored'),
    frame(0x2, Buffer.from([1, 2, 3])),
    close(4403, 'Forbidden'),
    frame(0x1, 'after close: not read'),
  ]);
  const expected = [
    'message 5 hello',
    `message 300 ${long.slice(0, 20)}`,
    `message 70001 ${huge.slice(0, 20)}`,
    'ping are you there',
    'ping between',
    'message 10 fragmented',
    'message 3 \u0001\u0002\u0003',
    'close 4403 Forbidden',
  ];

  it('reads frames coalesced in one chunk', () => {
    const { events, reader } = collect();
    reader.push(stream, 0, stream.length);
    expect(events).toEqual(expected);
  });

  it('reads frames split anywhere, down to one byte per chunk, and within a larger buffer', () => {
    for (const size of [1, 2, 3, 7, 13, 100, 4096, 65_536]) {
      const { events, reader } = collect();
      // Each chunk inside a reused buffer with stale bytes around it, as the shared read buffer is.
      const shared = Buffer.alloc(size + 20, 0xff);
      for (let at = 0; at < stream.length; at += size) {
        const n = stream.copy(shared, 10, at, Math.min(at + size, stream.length));
        reader.push(shared, 10, 10 + n);
        shared.fill(0xee);
      }
      expect(events, `chunks of ${size}`).toEqual(expected);
    }
  });

  it('refuses a masked frame, a continuation without a message and an unknown opcode', () => {
    for (const [bytes, code] of [
      [frame(0x1, 'masked', true, true), 1002],
      [frame(0x0, 'orphan'), 1002],
      [frame(0x3, 'reserved'), 1002],
    ] as const) {
      const { events, reader } = collect();
      reader.push(Buffer.concat([bytes, frame(0x1, 'next')]), 0, bytes.length + 6);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatch(new RegExp(`^fail ${code} `));
    }
  });
});

describe('WsClient against a ws server on loopback', () => {
  let wss: WebSocketServer | null = null;
  afterEach(() => {
    for (const client of wss?.clients ?? []) client.terminate();
    wss?.close();
    wss = null;
  });

  async function serve(onConnection: (socket: WebSocket) => void) {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/graphql' });
    wss.on('connection', (socket, request) => {
      expect(request.headers['sec-websocket-protocol']).toBe('graphql-transport-ws');
      onConnection(socket);
    });
    await new Promise((resolve) => wss!.once('listening', resolve));
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  }

  function client(url: string) {
    const messages: string[] = [];
    const errors: string[] = [];
    let opened = false;
    let resolveClosed: (c: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
    const ws = new WsClient(
      url,
      'graphql-transport-ws',
      {},
      {
        open: () => (opened = true),
        message: (data, start, end) => messages.push(data.toString('utf8', start, end)),
        error: (error) => errors.push(error.message),
        close: (code, reason) => resolveClosed({ code, reason }),
      },
    );
    return { ws, messages, errors, closed, opened: () => opened };
  }

  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((r) => setTimeout(r, 5));
  };

  it('receives coalesced, long and fragmented messages, answers pings, sends masked frames, and closes with the code', async () => {
    const received: string[] = [];
    let pong = '';
    let server!: WebSocket;
    const url = await serve((socket) => {
      server = socket;
      socket.on('message', (data) => received.push(String(data)));
      socket.on('pong', (data) => (pong = String(data)));
    });
    const c = client(`${url}/graphql`);
    await until(() => server !== undefined && c.opened());
    // 1,000 small frames written at once arrive many to a read; the long ones span reads.
    for (let i = 0; i < 1000; i++) server.send(`{"n":${i}}`);
    server.send('m'.repeat(300));
    server.send('M'.repeat(200_000));
    server.send('frag', { fin: false });
    server.send('ment', { fin: true });
    server.ping('keep-alive');
    await until(() => c.messages.length === 1003 && pong !== '');
    expect(c.messages.slice(0, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => `{"n":${i}}`));
    expect(c.messages.slice(1000).map((m) => m.length)).toEqual([300, 200_000, 8]);
    expect(c.messages[1002]).toBe('fragment');
    expect(pong).toBe('keep-alive');
    expect(c.ws.isOpen).toBe(true);

    c.ws.send('{"type":"connection_init"}');
    c.ws.send('é'.repeat(100)); // 200 bytes: a 16-bit length
    c.ws.send('z'.repeat(70_000)); // a 64-bit length
    await until(() => received.length === 3);
    expect(received).toEqual(['{"type":"connection_init"}', 'é'.repeat(100), 'z'.repeat(70_000)]);

    server.close(4403, 'Forbidden');
    expect(await c.closed).toEqual({ code: 4403, reason: 'Forbidden' });
    expect(c.errors).toEqual([]);
  });

  it('reports 1006 when the socket drops or is terminated, and an error when the upgrade is refused', async () => {
    let server!: WebSocket;
    const url = await serve((socket) => (server = socket));
    const dropped = client(`${url}/graphql`);
    await until(() => server !== undefined && dropped.opened());
    server.terminate();
    expect((await dropped.closed).code).toBe(1006);

    const terminated = client(`${url}/graphql`);
    await until(() => terminated.opened());
    terminated.ws.terminate();
    expect((await terminated.closed).code).toBe(1006);

    const refused = client(`${url}/elsewhere`);
    expect((await refused.closed).code).toBe(1006);
    expect(refused.opened()).toBe(false);
    expect(refused.errors.join()).toMatch(/Unexpected server response|ECONNRESET|socket hang up/);
  });
});
