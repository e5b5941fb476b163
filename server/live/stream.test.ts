/**
 * Issue 18.1 and 18.2 — a live stream's life, without I/O (a fake hub and outbox): it registers
 * only when a transport starts reading it, and it ends at its token's expiry on every transport,
 * graphql-ws frames included.
 */
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { waitFor } from '../../test/live';
import { textOfFrame } from '../../test/transport';
import type { Access } from '../auth/access';
import { sendFrames } from '../transport/frames';
import { ORIGIN } from './cursor';
import type { Hub } from './hub';
import type { OutboxReader } from './outbox';
import { payloadOf } from './payload';
import { openStream } from './stream';

function fakeHub() {
  let listeners = 0;
  const hub = {
    listen: (routes: unknown[]) => {
      listeners += routes.length;
      return ORIGIN;
    },
    unlisten: (routes: unknown[]) => {
      listeners -= routes.length;
    },
  } as unknown as Hub;
  return { hub, listeners: () => listeners };
}

const reader = { canReplayFrom: async () => true, readAfter: async () => [] } as unknown as OutboxReader;

function stream(hub: Hub, endsAt: Date | null = null) {
  return openStream({
    hub,
    reader,
    policy: { name: 'grade', sources: ['grade'], audience: 'staffAndSubject' },
    routes: [{ topic: 'grade', courseId: 'c1' }],
    after: null,
    replayFilter: {},
    courseId: 'c1',
    narrow: null,
    viewerId: 'u1',
    access: {} as Access,
    maxQueue: 10,
    endsAt,
  });
}

describe('live stream', () => {
  it('registers nothing until a transport reads it (a refused request never does)', async () => {
    const { hub, listeners } = fakeHub();
    const created = stream(hub, new Date(Date.now() + 60_000));
    expect(listeners()).toBe(0);
    const first = created.next();
    expect(listeners()).toBe(3); // its topic, `membership` and `account`
    await created.return();
    expect(await first).toEqual({ value: undefined, done: true });
    expect(listeners()).toBe(0);
  });

  it('ended before it was read: never registers', async () => {
    const { hub, listeners } = fakeHub();
    const created = stream(hub);
    await created.return();
    expect(await created.next()).toEqual({ value: undefined, done: true });
    expect(listeners()).toBe(0);
  });

  it('sent as graphql-ws frames, it still ends at its token expiry (UNAUTHENTICATED), whatever the socket does', async () => {
    const { hub, listeners } = fakeHub();
    const live = stream(hub, new Date(Date.now() + 50));
    const sent: string[] = [];
    const socket = { OPEN: 1, readyState: 1, bufferedAmount: 0 };
    const wire = { write: (frame: Buffer) => sent.push(textOfFrame(frame)) > 0, cork() {}, uncork() {} };
    const prepare = (result: ExecutionResult) => result;
    const frames = sendFrames(
      live,
      {
        payloadFor: (message) =>
          payloadOf(message.kind === 'error' ? { errors: [message.error as never] } : { data: {} }, prepare),
      },
      { socket: socket as unknown as WebSocket, wire, id: 'X', prepare },
    );
    expect(listeners()).toBe(3);
    expect(await frames.next()).toEqual({ value: undefined, done: true });
    expect(listeners()).toBe(0);
    await waitFor(() => sent.length === 1);
    expect(JSON.parse(sent[0]).payload.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
