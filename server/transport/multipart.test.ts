/**
 * Subscriptions over multipart HTTP (server/transport/multipart.ts), Apollo's protocol, read by
 * hand on a started API: the parts, replay `after` a cursor, authorization at subscribe and per
 * event, heartbeats, query limits, the end of the stream, and the metrics the other transports keep.
 * (Apollo Client itself over this protocol: clients.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { GRADE_CHANGED, gqlOk, LIVE_CURSOR, multipartSubscribe, useLiveApp, waitFor } from '../../test/live';
import { metric, parseMetrics } from '../../test/transport';
import { acceptsMultipartSubscription } from './multipart';

// Heartbeats follow WS_KEEPALIVE_MS: one a second here, so a test can wait for one.
const live = useLiveApp({ env: { WS_KEEPALIVE_MS: '1000' } });

const scrape = async () => parseMetrics(await (await fetch(`${live.api.baseUrl}/metrics`)).text());

describe('Accept: multipart/mixed;subscriptionSpec="1.0"', () => {
  it('is recognised quoted or not, among other types, and only with subscriptionSpec', () => {
    expect(
      acceptsMultipartSubscription('multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'),
    ).toBe(true);
    expect(acceptsMultipartSubscription('application/json, multipart/mixed; subscriptionSpec="1.0"')).toBe(true);
    expect(acceptsMultipartSubscription('multipart/mixed')).toBe(false);
    expect(acceptsMultipartSubscription('multipart/mixed;deferSpec=20220824')).toBe(false);
    expect(acceptsMultipartSubscription(null)).toBe(false);
  });

  it('replays after a cursor, then delivers live events, one `{ payload }` part each', async () => {
    const math = live.ldb.f.course('MATH101');
    const token = await live.ldb.token('instructor@homeroom.test');
    const after = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token)).liveCursor;
    await live.ldb.setGrade(math.assessments['Quiz 1'].id, math.id, math.studentIds[1], 7); // before: replayed
    const stream = await multipartSubscribe(live.api.url, GRADE_CHANGED, { courseId: math.id, after }, token);
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
      await stream.parts.until(() => stream.payloads().length >= 1, 15_000, 'the replayed event');
      await live.ldb.setGrade(math.assessments['Quiz 1'].id, math.id, math.studentIds[2], 8); // live
      await stream.parts.until(() => stream.payloads().length >= 2, 15_000, 'the live event');
      const [replayed, pushed] = stream.payloads();
      expect(replayed.data.gradeChanged.grade).toMatchObject({ score: 7, student: { id: math.studentIds[1] } });
      expect(pushed.data.gradeChanged.grade).toMatchObject({ score: 8, student: { id: math.studentIds[2] } });
    } finally {
      await stream.close();
    }
  });

  it('sends a `{}` heartbeat part while nothing happens', async () => {
    const token = await live.ldb.token('student@homeroom.test');
    const stream = await multipartSubscribe(live.api.url, GRADE_CHANGED, {}, token);
    try {
      await stream.parts.find((part) => Object.keys(part).length === 0, 15_000, 'a heartbeat');
      expect(stream.payloads()).toEqual([]);
    } finally {
      await stream.close();
    }
  });

  it('a student gets only their own grades of the course, per event', async () => {
    const math = live.ldb.f.course('MATH101');
    const sam = live.ldb.persona('student@homeroom.test');
    const other = math.studentIds.find((id) => id !== sam.id)!;
    const stream = await multipartSubscribe(
      live.api.url,
      GRADE_CHANGED,
      { courseId: math.id },
      await live.ldb.token('student@homeroom.test'),
    );
    try {
      await waitFor(() => live.api.app.live.hub.stats().listeners > 0, { what: 'the stream to register' });
      await live.ldb.setGrade(math.assessments.Midterm.id, math.id, other, 41); // not Sam's: never sent
      await live.ldb.setGrade(math.assessments.Midterm.id, math.id, sam.id, 42);
      await stream.parts.until(() => stream.payloads().length >= 1, 15_000, "Sam's event");
      expect(stream.payloads().map((p) => p.data.gradeChanged.grade.student.id)).toEqual([sam.id]);
    } finally {
      await stream.close();
    }
  });

  it('refusals at subscribe arrive as a part with the error (FORBIDDEN, UNAUTHENTICATED), counted by code; then the stream ends', async () => {
    const phys = live.ldb.f.course('PHYS110'); // Sam is not enrolled
    const before = await scrape();
    const forbidden = await multipartSubscribe(
      live.api.url,
      GRADE_CHANGED,
      { courseId: phys.id },
      await live.ldb.token('student@homeroom.test'),
    );
    expect(await forbidden.ended()).toBe(true);
    expect(forbidden.payloads()).toEqual([
      { errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] },
    ]);
    const anonymous = await multipartSubscribe(live.api.url, GRADE_CHANGED, {}, null);
    expect(await anonymous.ended()).toBe(true);
    expect(anonymous.payloads()[0].errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const after = await scrape();
    expect(metric(after, 'homeroom_graphql_errors_total', { code: 'FORBIDDEN' })).toBeGreaterThan(
      metric(before, 'homeroom_graphql_errors_total', { code: 'FORBIDDEN' }),
    );
    expect(metric(after, 'homeroom_graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBeGreaterThan(
      metric(before, 'homeroom_graphql_errors_total', { code: 'UNAUTHENTICATED' }),
    );
  });

  it('query limits apply before anything runs: 31 aliases → 400 BAD_USER_INPUT as JSON', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: cursor`).join(' ');
    const stream = await multipartSubscribe(
      live.api.url,
      `subscription { gradeChanged { ${aliases} } }`,
      {},
      await live.ldb.token('instructor@homeroom.test'),
    );
    expect(stream.status).toBe(400);
    const body = await stream.body();
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('a client that goes away frees its subscription (hub and homeroom_subscriptions_active)', async () => {
    const token = await live.ldb.token('instructor@homeroom.test');
    const listeners = live.api.app.live.hub.stats().listeners;
    const active = metric(await scrape(), 'homeroom_subscriptions_active', { topic: 'grade' });
    const stream = await multipartSubscribe(live.api.url, GRADE_CHANGED, {}, token);
    await waitFor(() => live.api.app.live.hub.stats().listeners > listeners, { what: 'the stream to register' });
    expect(metric(await scrape(), 'homeroom_subscriptions_active', { topic: 'grade' })).toBe(active + 1);
    await stream.close();
    await waitFor(() => live.api.app.live.hub.stats().listeners === listeners, { what: 'the stream to unregister' });
    expect(metric(await scrape(), 'homeroom_subscriptions_active', { topic: 'grade' })).toBe(active);
  });

  it('plain multipart/mixed without subscriptionSpec (incremental delivery) is not this protocol: 406', async () => {
    const stream = await multipartSubscribe(
      live.api.url,
      GRADE_CHANGED,
      {},
      await live.ldb.token('instructor@homeroom.test'),
      'multipart/mixed',
    );
    expect(stream.status).toBe(406);
  });
});
