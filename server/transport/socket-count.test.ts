/**
 * WS_MAX_SOCKETS_PER_USER counts across instances (Redis): sockets on A and on B add up, and a
 * closed socket frees its place on every instance.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type TestRedis } from '../../test';
import { type LiveDatabase, openLiveDatabase, rawSocket, startTestApp, type TestApp, waitFor } from '../../test/live';

let ldb: LiveDatabase;
let redis: TestRedis;
let a: TestApp;
let b: TestApp;
const sockets: ReturnType<typeof rawSocket>[] = [];

beforeAll(async () => {
  [ldb, redis] = await Promise.all([openLiveDatabase(), startRedisServer()]);
  const env = { WS_MAX_SOCKETS_PER_USER: '2' };
  [a, b] = await Promise.all([
    startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url, env }),
    startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url, env }),
  ]);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  await ldb?.close();
});

/** Opens a socket and answers 'acked', or the close code and reason. */
async function connect(app: TestApp, token: string) {
  const socket = rawSocket(app.wsUrl);
  sockets.push(socket);
  await socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  // Whichever comes first: the acknowledgement, or the close.
  await Promise.race([socket.messages.count(1), socket.closes.count(1)]);
  return { socket, outcome: socket.messages.items[0]?.type === 'connection_ack' ? 'acked' : socket.closes.items[0] };
}

it('the cap spans instances: one socket on A and one on B are the limit of 2; closing one frees a place', async () => {
  const token = await ldb.token('student16@homeroom.test');
  const first = await connect(a, token);
  expect(first.outcome).toBe('acked');
  expect((await connect(b, token)).outcome).toBe('acked');
  expect((await connect(a, token)).outcome).toEqual({ code: 1008, reason: 'Too many sockets for this user (limit 2)' });
  expect((await connect(b, token)).outcome).toEqual({ code: 1008, reason: 'Too many sockets for this user (limit 2)' });
  // Another user is not affected.
  expect((await connect(b, await ldb.token('student17@homeroom.test'))).outcome).toBe('acked');

  first.socket.close();
  await first.socket.closed();
  // The release reaches Redis right after A sees the close: wait for the place to be free there.
  const key = `homeroom:sockets:${ldb.f.user('student16@homeroom.test')}`;
  const { Redis } = await import('ioredis');
  const probe = new Redis(redis.url);
  try {
    await waitFor(async () => (await probe.zcard(key)) === 1, { what: 'the released place' });
  } finally {
    probe.disconnect();
  }
  expect((await connect(b, token)).outcome).toBe('acked');
});
