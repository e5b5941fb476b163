import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { monoMicros } from '../lib/hist';
import { awaitDeliveries, type Generators, startGenerators } from '../lib/load';
import type { SubscriberSpec } from './protocol';

/**
 * The load generator as the bench runs it (its own process, driven over IPC) against a stand-in
 * graphql-transport-ws server that records every subscribe: several subscriptions on one socket
 * must each get their own operation id, and every frame must be counted for the subscription its
 * id names, so a loss or a duplicate on one of them is found (scenario (j) multiplexes 100,000
 * subscriptions over the sockets one process may hold).
 */
const course = (i: number) => ({ courseId: `course-${i}`, courseIndex: i });
const SPECS: SubscriberSpec[] = [
  { token: 'a', ...course(0), more: [course(1)] },
  { token: 'b', ...course(1), more: [course(2), course(0)] },
  { token: 'c', ...course(2) },
];
const COURSES = 3;
const EVENTS = 6; // event seq's course is seq % 3: two events for every subscription

type Operation = { socket: WebSocket; token: string; id: string; courseIndex: number };

describe('load generator: several subscriptions on one socket', () => {
  let server: WebSocketServer;
  let gens: Generators;
  const operations: Operation[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/graphql' });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      let token = '';
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.type === 'connection_init') {
          token = msg.payload.authorization.replace('Bearer ', '');
          socket.send('{"type":"connection_ack"}');
        } else if (msg.type === 'subscribe') {
          const courseIndex = Number(String(msg.payload.variables.c).slice('course-'.length));
          operations.push({ socket, token, id: msg.id, courseIndex });
        }
      });
    });
    gens = await startGenerators(1, `0-${availableParallelism() - 1}`);
  });

  afterAll(async () => {
    await gens?.stop();
    server?.close();
  });

  it('subscribes each with its own operation id and counts each frame for the subscription it names', async () => {
    const { port } = server.address() as AddressInfo;
    const connected = await gens.connect({
      url: `ws://127.0.0.1:${port}/graphql`,
      query: 'subscription ($c: ID) { gradeChanged(courseId: $c) { cursor grade { id note } } }',
      resumeWithCursor: false,
      courses: COURSES,
      subscribers: SPECS,
    });
    expect(connected).toMatchObject({ connected: 3, subscriptions: 6, failed: 0 });
    for (let i = 0; i < 100 && operations.length < 6; i++) await new Promise((r) => setTimeout(r, 20));

    // What each socket subscribed to, in order, and its ids: distinct within the socket.
    const byToken = (t: string) => operations.filter((o) => o.token === t);
    expect(byToken('a').map((o) => o.courseIndex)).toEqual([0, 1]);
    expect(byToken('b').map((o) => o.courseIndex)).toEqual([1, 2, 0]);
    expect(byToken('c').map((o) => o.courseIndex)).toEqual([2]);
    for (const t of ['a', 'b', 'c']) expect(new Set(byToken(t).map((o) => o.id)).size).toBe(byToken(t).length);

    await gens.phase(0, EVENTS);
    // Every event to every subscription of its course (a grade's own "id" after the operation's),
    // except: event 4 never reaches b's first subscription (course 1), event 0 reaches a's first twice.
    const a0 = byToken('a')[0];
    const b0 = byToken('b')[0];
    let sent = 0;
    for (let seq = 0; seq < EVENTS; seq++)
      for (const op of operations.filter((o) => o.courseIndex === seq % COURSES)) {
        if (seq === 4 && op === b0) continue;
        const payload = {
          data: { gradeChanged: { cursor: `1.${seq}`, grade: { id: 'g', note: `${seq}:${monoMicros()}` } } },
        };
        const frame = JSON.stringify({ id: op.id, type: 'next', payload });
        for (let copies = seq === 0 && op === a0 ? 2 : 1; copies > 0; copies--) op.socket.send(frame), (sent += 1);
      }
    await awaitDeliveries(gens, sent, { quietMs: 2000, timeoutMs: 10_000, pollMs: 20 });

    const report = await gens.report(
      Array.from({ length: EVENTS }, (_, seq) => seq % COURSES),
      EVENTS,
    );
    expect(report).toMatchObject({ expected: 12, received: 12, distinct: 11, lost: 1, duplicated: 1, errors: 0 });
  });
});
