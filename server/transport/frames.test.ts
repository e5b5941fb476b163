import type { ExecutionResult } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { textOfFrame } from '../../test/transport';
import type { Access, CourseRole } from '../auth/access';
import { type Cursor, parseCursor } from '../live/cursor';
import type { LiveEvent } from '../live/event';
import { createInProcessBus } from '../live/event-bus';
import { createHub, type Hub } from '../live/hub';
import { memo } from '../live/memo';
import type { OutboxReader } from '../live/outbox';
import { type Executor, payloadOf } from '../live/payload';
import { type LiveMessage, openStream } from '../live/stream';
import { CHECK_BUFFER_EVERY, sendFrames, textFrame } from './frames';

/** ws's frame parser, as its client runs it (ws exports it; its types do not declare it). */
const { Receiver } = ws as unknown as {
  Receiver: new (options: {
    isServer: boolean;
  }) => NodeJS.WritableStream & {
    on(event: 'message', listener: (data: Buffer) => void): void;
  };
};

/**
 * The graphql-ws fan-out path without a database or a network: a real hub and real streams, a
 * fake socket that records frames, executions the test resolves by hand.
 */
const reader = {
  currentCursor: async () => ({ pos: 1n, id: 0n }),
  readAfter: async () => [],
  canReplayFrom: async () => true,
} as unknown as OutboxReader;
const log = { error() {}, warn() {}, info() {}, debug() {} } as never;

let hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.map((h) => h.stop()));
  hubs = [];
});

async function setup(recentEvents = 0) {
  const bus = createInProcessBus();
  const hub = createHub({
    bus,
    reader,
    log,
    repairIntervalMs: 60_000,
    degradedPollMs: 60_000,
    recentEvents,
    retentionDays: 7,
  });
  await hub.start();
  hubs.push(hub);
  let seq = 1;
  const publish = (courseId = 'c1') => {
    const n = seq++;
    const event: LiveEvent = {
      cursor: `${n + 1}.${n}`,
      prev: null,
      topic: 'grade',
      action: 'UPDATED',
      courseId,
      audienceUserId: 's1',
      entityId: `g${n}`,
      data: {},
      occurredAt: new Date().toISOString(),
    };
    bus.publish(event);
    return event;
  };
  return { hub, publish };
}

type FakeSocket = {
  readyState: number;
  OPEN: 1;
  bufferedAmount: number;
  frames: string[];
  send(data: string): void;
  wire: { write(frame: Buffer): boolean; cork(): void; uncork(): void };
};
const fakeSocket = (): FakeSocket => {
  const socket: FakeSocket = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount: 0,
    frames: [],
    send(data) {
      this.frames.push(data);
    },
    // Frames written prebuilt, whole: one per write.
    wire: { write: (frame) => socket.frames.push(textOfFrame(frame)) > 0, cork() {}, uncork() {} },
  };
  return socket;
};

/** One subscriber: a stream on course c1 as INSTRUCTOR, its frames going to `socket`. */
function subscribe(
  hub: Hub,
  executor: Executor,
  socket: FakeSocket,
  id = '1',
  maxQueue = 100,
  after: Cursor | null = null,
) {
  const role: CourseRole = 'INSTRUCTOR';
  const stream = openStream({
    hub,
    reader,
    policy: { name: 'grade', sources: ['grade'], audience: 'staffAndSubject' },
    routes: [{ topic: 'grade', courseId: 'c1' }],
    after,
    replayFilter: {},
    courseId: 'c1',
    narrow: null,
    viewerId: `viewer-${id}`,
    access: { knownRoleIn: () => role, roleIn: async () => role, reset: () => {} } as unknown as Access,
    maxQueue,
  });
  const prepared: ExecutionResult[] = [];
  const iterator = sendFrames(stream, executor, {
    socket: socket as never,
    wire: socket.wire,
    id,
    prepare: (r) => (prepared.push(r), r),
  });
  return { stream, iterator, prepared };
}

const entityOf = (frame: string) =>
  (JSON.parse(frame) as { payload: { data: { entity: string } } }).payload.data.entity;
const nextTick = () => new Promise((r) => setImmediate(r));

/** Executions the test settles by hand, shared per event like the real executor. */
function manualExecutor() {
  const pending = new Map<string, (r: ExecutionResult) => void>();
  let runs = 0;
  const executor: Executor = {
    payloadFor: (message: LiveMessage, prepare) => {
      if (message.kind !== 'event') return payloadOf({ errors: [] }, prepare);
      return memo(message.event, 'frame|test', () => {
        runs += 1;
        return payloadOf(
          new Promise<ExecutionResult>((resolve) => pending.set(message.event.entityId, resolve)),
          prepare,
        );
      });
    },
  };
  const settle = (entityId: string) => pending.get(entityId)!({ data: { entity: entityId } });
  return { executor, settle, runs: () => runs };
}

describe('live frames (graphql-ws fan-out)', () => {
  it('leave in cursor order, even when a later event finishes executing first', async () => {
    const { hub, publish } = await setup();
    const { executor, settle } = manualExecutor();
    const socket = fakeSocket();
    subscribe(hub, executor, socket);
    const [a, b, c] = [publish(), publish(), publish()];
    await hub.settle();
    settle(c.entityId);
    settle(b.entityId);
    await nextTick();
    expect(socket.frames).toEqual([]);
    settle(a.entityId);
    await nextTick();
    expect(socket.frames.map(entityOf)).toEqual([a.entityId, b.entityId, c.entityId]);
    expect(JSON.parse(socket.frames[0])).toEqual({ id: '1', type: 'next', payload: { data: { entity: a.entityId } } });
  });

  it('subscribers that share an execution run it once and share its serialised result', async () => {
    const { hub, publish } = await setup();
    const { executor, settle, runs } = manualExecutor();
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    const subs = sockets.map((s, i) => subscribe(hub, executor, s, `op${i}`));
    const event = publish();
    await hub.settle();
    settle(event.entityId);
    await nextTick();
    expect(runs()).toBe(1);
    expect(subs[0].prepared.length).toBe(1); // prepared (masked, coded) once for everyone
    expect(sockets.map((s) => s.frames.map((f) => JSON.parse(f).id))).toEqual([['op0'], ['op1'], ['op2']]);
    expect(new Set(sockets.map((s) => JSON.stringify(JSON.parse(s.frames[0]).payload))).size).toBe(1);
  });

  it('a socket whose buffer is full takes nothing more; the stream holds the events and sends them, in order, once it drains', async () => {
    const { hub, publish } = await setup();
    const executor: Executor = {
      payloadFor: (m, prepare) =>
        payloadOf({ data: { entity: m.kind === 'event' ? m.event.entityId : null } }, prepare),
    };
    const socket = fakeSocket();
    subscribe(hub, executor, socket);
    const first = publish();
    await hub.settle();
    expect(socket.frames.map(entityOf)).toEqual([first.entityId]);
    socket.bufferedAmount = 10 * 1024 * 1024; // the client stopped reading
    // The buffer is read every CHECK_BUFFER_EVERY messages: a few more frames may still go out.
    const later = Array.from({ length: CHECK_BUFFER_EVERY + 3 }, () => publish());
    await hub.settle();
    const sent = socket.frames.length;
    expect(sent).toBeLessThanOrEqual(CHECK_BUFFER_EVERY);
    expect(sent).toBeLessThan(1 + later.length);
    socket.bufferedAmount = 0;
    await new Promise((r) => setTimeout(r, 120)); // the drain poll notices
    expect(socket.frames.map(entityOf)).toEqual([first, ...later].map((e) => e.entityId));
  });

  it('past the bound, a subscriber that stopped reading gets a final SLOW_CONSUMER error, then the operation ends', async () => {
    const { hub, publish } = await setup();
    const executor: Executor = {
      payloadFor: (m, prepare) =>
        payloadOf(
          m.kind === 'error'
            ? { errors: [m.error as never] }
            : { data: { entity: m.kind === 'event' ? m.event.entityId : null } },
          prepare,
        ),
    };
    const socket = fakeSocket();
    const { iterator } = subscribe(hub, executor, socket, '1', 3);
    const ended = iterator.next();
    socket.bufferedAmount = 10 * 1024 * 1024;
    for (let i = 0; i < CHECK_BUFFER_EVERY + 3; i++) publish();
    await hub.settle();
    await new Promise((r) => setTimeout(r, 1_100));
    publish(); // over the bound and stalled for more than a second
    await hub.settle();
    const sentBeforeFull = socket.frames.length;
    socket.bufferedAmount = 0; // reading again, but too late: what it gets is the error
    await expect(ended).resolves.toEqual({ value: undefined, done: true });
    expect(socket.frames.length).toBe(sentBeforeFull + 1);
    const last = JSON.parse(socket.frames.at(-1)!);
    expect(last.payload.errors[0].extensions.code).toBe('SLOW_CONSUMER');
  });

  it('complete (return) ends the stream: nothing more is written, the hub forgets the listener', async () => {
    const { hub, publish } = await setup();
    const { executor, settle } = manualExecutor();
    const socket = fakeSocket();
    const { iterator } = subscribe(hub, executor, socket);
    const event = publish();
    await hub.settle();
    await iterator.return!();
    settle(event.entityId);
    publish();
    await hub.settle();
    await nextTick();
    expect(socket.frames).toEqual([]);
    expect(hub.stats().listeners).toBe(0);
  });

  it('builds frames a WebSocket client reads, at every length class, and one frame per payload for subscribers with the same id', async () => {
    for (const size of [10, 125, 126, 65_535, 70_000]) {
      const json = JSON.stringify({ data: { text: `é${'x'.repeat(size)}` } });
      const receiver = new Receiver({ isServer: false });
      const received = new Promise<string>((resolve) => receiver.on('message', (data) => resolve(String(data))));
      receiver.write(textFrame('{"id":"1","type":"next","payload":', json));
      expect(JSON.parse(await received)).toEqual({ id: '1', type: 'next', payload: JSON.parse(json) });
    }
    const { hub, publish } = await setup();
    const written: Buffer[] = [];
    const executor = {
      payloadFor: (message: LiveMessage) =>
        memo((message as { event: LiveEvent }).event, 'k', () => payloadOf({ data: {} }, (r) => r)),
    };
    const sockets = ['1', '1', 'other'].map((id) => {
      const socket = fakeSocket();
      const write = socket.wire.write;
      socket.wire.write = (frame) => (written.push(frame), write(frame));
      subscribe(hub, executor, socket, id);
      return socket;
    });
    publish();
    await hub.settle();
    expect(sockets.map((s) => JSON.parse(s.frames[0]).id)).toEqual(['1', '1', 'other']);
    expect(written[0]).toBe(written[1]);
    expect(written[2]).not.toBe(written[0]);
  });

  it('a resume writes what it missed in one system call per turn of the event loop, then live frames one by one', async () => {
    const { hub, publish } = await setup(100);
    const missed = [publish(), publish(), publish()];
    await hub.settle();
    const socket = fakeSocket();
    const calls: string[] = [];
    const { write } = socket.wire;
    socket.wire.write = (frame) => (calls.push('write'), write(frame));
    socket.wire.cork = () => void calls.push('cork');
    socket.wire.uncork = () => void calls.push('uncork');
    const executor = {
      payloadFor: (message: LiveMessage) =>
        memo((message as { event: LiveEvent }).event, 'k', () =>
          payloadOf({ data: { entity: (message as { event: LiveEvent }).event.entityId } }, (r) => r),
        ),
    };
    subscribe(hub, executor, socket, '1', 100, parseCursor(missed[0].cursor));
    await nextTick();
    expect(calls).toEqual(['cork', 'write', 'write', 'uncork']);
    publish();
    await hub.settle();
    await nextTick();
    expect(calls.slice(4)).toEqual(['write']);
    expect(socket.frames.map(entityOf)).toEqual([missed[1].entityId, missed[2].entityId, 'g4']);
  });
});
