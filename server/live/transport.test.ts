/**
 * Transports on /graphql (live contract 7, "Authentication"): graphql-ws refuses a missing, invalid
 * or expired token with close 4403 and a reason, closes a live socket when its token expires, keeps
 * a socket open after a bad operation; SSE delivers the same events.
 */

import { describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from '../../test';
import {
  connectLive,
  GRADE_CHANGED,
  gqlOk,
  LIVE_CURSOR,
  newStreams,
  rawSocket,
  sseSubscribe,
  useLiveApp,
} from '../../test/live';
import { mintToken } from '../../test/sessions';
import { createTokenService } from '../auth/tokens';

const live = useLiveApp();

/** Opens a raw graphql-transport-ws socket and sends connection_init with these params. */
function init(connectionParams?: Record<string, unknown>) {
  const ws = rawSocket(live.api.wsUrl);
  void ws.send({ type: 'connection_init', ...(connectionParams ? { payload: connectionParams } : {}) });
  return ws;
}

describe('graphql-ws: tokens', () => {
  it.each([
    ['no connectionParams', undefined, 'Missing token: send connectionParams.authorization'],
    ['no authorization in them', { other: 1 }, 'Missing token: send connectionParams.authorization'],
    ['a malformed token', { authorization: 'Bearer not-a-jwt' }, 'Invalid token'],
  ])('%s → close 4403 with a reason', async (_label, params, reason) => {
    const ws = init(params);
    expect(await ws.closed(10_000)).toEqual({ code: 4403, reason });
    expect(ws.messages.items.filter((m) => m.type === 'connection_ack')).toEqual([]);
  });

  it('a token signed with another secret → 4403 "Invalid token"', async () => {
    const other = createTokenService({
      secret: 'another-secret-0123456789-abcdefghijklmn',
      ttlSeconds: 900,
      renewGraceSeconds: 0,
      maxSessionSeconds: 3600,
    });
    const { token } = await mintToken(live.ldb.sql, other, {
      id: live.ldb.f.user('admin@homeroom.test'),
      role: 'ADMIN',
    });
    expect(await init({ authorization: `Bearer ${token}` }).closed(10_000)).toEqual({
      code: 4403,
      reason: 'Invalid token',
    });
  });

  it('an expired token → 4403 "Token expired"', async () => {
    const token = await live.ldb.token('student@homeroom.test', -60);
    expect(await init({ authorization: `Bearer ${token}` }).closed(10_000)).toEqual({
      code: 4403,
      reason: 'Token expired',
    });
  });

  it('a token that expires while the socket is live → the server closes it 4403 "Token expired" (after delivering events)', async () => {
    const math = live.ldb.f.course('MATH101');
    const tokens = createTokenService({
      secret: TEST_JWT_SECRET,
      // Long enough to subscribe and see an event first on a loaded machine (a 3 s token expired
      // before the event under load average 15).
      ttlSeconds: 8,
      renewGraceSeconds: 0,
      maxSessionSeconds: 3600,
    });
    const { token, expiresAt } = await mintToken(live.ldb.sql, tokens, {
      id: live.ldb.f.user('instructor@homeroom.test'),
      role: 'INSTRUCTOR',
    });
    const conn = connectLive(live.api.wsUrl, token);
    try {
      const registered = newStreams(live.api);
      const stream = conn.subscribe(GRADE_CHANGED, { courseId: math.id });
      await registered(1);
      await live.ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[3], 40);
      await stream.count(1, 5_000);
      const [closed] = await conn.closes.count(1, 15_000);
      expect(closed).toEqual({ code: 4403, reason: 'Token expired' });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 50);
      expect(Date.now()).toBeLessThan(expiresAt.getTime() + 5_000);
    } finally {
      await conn.dispose();
    }
  });

  // Regression: the expiry timer once overflowed (Node timers hold at most 24.8 days) and closed
  // every socket with a long-lived token at once.
  it('a token valid for 30 days keeps its socket open and delivering', async () => {
    const math = live.ldb.f.course('MATH101');
    const conn = connectLive(live.api.wsUrl, await live.ldb.token('instructor@homeroom.test', 30 * 24 * 3600));
    try {
      const registered = newStreams(live.api);
      const stream = conn.subscribe(GRADE_CHANGED, { courseId: math.id });
      await Promise.race([registered(1), conn.closes.count(1)]);
      await live.ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[0], 77);
      await stream.until(() => stream.items.length > 0 || conn.closes.items.length > 0, 10_000, 'an event or a close');
      expect(conn.closes.items).toEqual([]);
      expect(stream.items).toHaveLength(1);
    } finally {
      await conn.dispose();
    }
  });
});

describe('graphql-ws: bad operations', () => {
  it('a syntax error answers that operation with `error`; the socket stays open and other operations keep working', async () => {
    const math = live.ldb.f.course('MATH101');
    const token = await live.ldb.token('instructor@homeroom.test');
    const ws = init({ authorization: `Bearer ${token}` });
    try {
      await ws.messages.find((m) => m.type === 'connection_ack', 10_000, 'connection_ack');
      const after = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token)).liveCursor;
      await ws.send({
        id: 'live',
        type: 'subscribe',
        payload: { query: GRADE_CHANGED, variables: { courseId: math.id, after } },
      });
      await ws.send({ id: 'broken', type: 'subscribe', payload: { query: 'subscription { gradeChanged(courseId: ' } });
      await ws.send({ id: 'unknown', type: 'subscribe', payload: { query: 'subscription { noSuchField }' } });
      const broken = await ws.messages.find((m) => m.id === 'broken', 10_000, 'the answer to the broken operation');
      expect(broken.type).toBe('error');
      expect(broken.payload[0].message).toMatch(/Syntax Error/);
      const unknown = await ws.messages.find((m) => m.id === 'unknown', 10_000, 'the answer to the invalid operation');
      expect(unknown.type).toBe('error');
      expect(unknown.payload[0].message).toMatch(/noSuchField/);

      await live.ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[4], 41);
      const next = await ws.messages.find(
        (m) => m.id === 'live' && m.type === 'next',
        10_000,
        'an event on the working subscription',
      );
      expect(next.payload.data.gradeChanged.grade.score).toBe(41);
      // A new operation on the same socket still works too.
      await ws.send({
        id: 'again',
        type: 'subscribe',
        payload: { query: GRADE_CHANGED, variables: { courseId: math.id, after } },
      });
      await ws.messages.find((m) => m.id === 'again' && m.type === 'next', 10_000, 'the replayed event');
      expect(ws.closes.items).toEqual([]);
    } finally {
      ws.close();
    }
  });
});

describe('SSE on /graphql', () => {
  it('delivers events, with replay after a cursor, to a caller with a token', async () => {
    const math = live.ldb.f.course('MATH101');
    const token = await live.ldb.token('instructor@homeroom.test');
    const after = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token)).liveCursor;
    await live.ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[5], 42); // replayed
    const sse = await sseSubscribe(live.api.url, GRADE_CHANGED, { courseId: math.id, after }, token);
    try {
      expect(sse.status).toBe(200);
      expect(sse.contentType).toMatch(/text\/event-stream/);
      await live.ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[6], 43); // live
      const events = await sse.events.count(2, 10_000);
      expect(events.map((e) => e.data.gradeChanged.grade.score)).toEqual([42, 43]);
      expect(events.map((e) => e.data.gradeChanged.grade.student.id)).toEqual([math.studentIds[5], math.studentIds[6]]);
    } finally {
      await sse.close();
    }
  });

  it('applies the same rules: a student sees only their own grades; a foreign course is FORBIDDEN; no token is UNAUTHENTICATED', async () => {
    const math = live.ldb.f.course('MATH101');
    const phys = live.ldb.f.course('PHYS110');
    const student = live.ldb.f.user('student@homeroom.test');
    const token = await live.ldb.token('student@homeroom.test');
    const after = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token)).liveCursor;
    const sse = await sseSubscribe(live.api.url, GRADE_CHANGED, { courseId: math.id, after }, token);
    try {
      await live.ldb.setGrade(
        math.assessments.Midterm.id,
        math.id,
        math.studentIds[7] === student ? math.studentIds[8] : math.studentIds[7],
        44,
      );
      await live.ldb.setGrade(math.assessments.Midterm.id, math.id, student, 45);
      const [only] = await sse.events.count(1, 10_000);
      expect(only.data.gradeChanged.grade).toMatchObject({ score: 45, student: { id: student } });
    } finally {
      await sse.close();
    }

    const foreign = await sseSubscribe(live.api.url, GRADE_CHANGED, { courseId: phys.id }, token);
    await foreign.ended();
    expect(foreign.events.items.flatMap((e) => e.errors ?? []).map((e: any) => e.extensions?.code)).toEqual([
      'FORBIDDEN',
    ]);

    const anonymous = await sseSubscribe(live.api.url, GRADE_CHANGED, { courseId: math.id }, null);
    await anonymous.ended();
    expect(anonymous.events.items.flatMap((e) => e.errors ?? []).map((e: any) => e.extensions?.code)).toEqual([
      'UNAUTHENTICATED',
    ]);
  });
});
