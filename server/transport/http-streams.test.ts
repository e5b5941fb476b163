/**
 * Issue 18.3 — live subscriptions over SSE are capped per user (SSE_MAX_STREAMS_PER_USER), like
 * graphql-ws's sockets per user and operations per socket: past the cap the stream's only message
 * is a TOO_MANY_REQUESTS error and nothing registers; a place frees when a stream ends.
 */
import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test';
import { GRADE_CHANGED, sseSubscribe, useLiveApp, waitFor } from '../../test/live';

const live = useLiveApp({ env: { SSE_MAX_STREAMS_PER_USER: '3' } });

/** Live streams registered with the hub (each listens to its topic, `membership` and `account`). */
const streams = () => live.api.app.live.hub.stats().listeners / 3;

describe('SSE: streams per user', () => {
  it('the fourth concurrent stream of one user is refused TOO_MANY_REQUESTS; another user is not; a closed one frees a place', async () => {
    const courseId = live.ldb.f.course('MATH101').id;
    const instructor = await live.ldb.token('instructor@homeroom.test');
    const before = streams();
    const open = await Promise.all(
      [1, 2, 3].map(() => sseSubscribe(live.api.url, GRADE_CHANGED, { courseId }, instructor)),
    );
    await waitFor(() => streams() === before + 3, { what: 'three streams running' });

    const refused = await sseSubscribe(live.api.url, GRADE_CHANGED, { courseId }, instructor);
    await refused.ended();
    expect(refused.events.items.map((e) => e.errors?.[0]?.extensions?.code)).toEqual(['TOO_MANY_REQUESTS']);
    expect(streams()).toBe(before + 3);

    const admin = await sseSubscribe(
      live.api.url,
      GRADE_CHANGED,
      { courseId },
      await live.ldb.token('admin@homeroom.test'),
    );
    await waitFor(() => streams() === before + 4, { what: "another user's stream running" });

    await open[0].close();
    await waitFor(() => streams() === before + 3, { what: 'the closed stream gone' });
    const again = await sseSubscribe(live.api.url, GRADE_CHANGED, { courseId }, instructor);
    await waitFor(() => streams() === before + 4, { what: 'a stream in the freed place' });
    expect(again.isEnded()).toBe(false);

    for (const sse of [...open.slice(1), admin, again]) await sse.close();
    await waitFor(() => streams() === before, { what: 'every stream ended' });
  });
});

describe('SSE: streams per user, across instances', () => {
  it('streams on A and on B add up to the cap (Redis); a closed one frees a place on the other instance', async () => {
    const { startRedisServer } = await import('../../test');
    const redis = await startRedisServer();
    const env = { SSE_MAX_STREAMS_PER_USER: '2' };
    const [a, b] = await Promise.all([
      startTestApp({ databaseUrl: live.ldb.url, redisUrl: redis.url, env }),
      startTestApp({ databaseUrl: live.ldb.url, redisUrl: redis.url, env }),
    ]);
    try {
      const courseId = live.ldb.f.course('MATH101').id;
      const token = await live.ldb.token('student15@homeroom.test');
      const listeners = (app: TestApp) => app.app.live.hub.stats().listeners;
      const idle = { a: listeners(a), b: listeners(b) };
      const running = (app: TestApp) => (listeners(app) - idle[app === a ? 'a' : 'b']) / 3;
      const onA = await sseSubscribe(a.url, GRADE_CHANGED, { courseId }, token);
      const onB = await sseSubscribe(b.url, GRADE_CHANGED, { courseId }, token);
      await waitFor(() => running(a) === 1 && running(b) === 1, { what: 'one stream on each instance' });

      const refused = await sseSubscribe(a.url, GRADE_CHANGED, { courseId }, token);
      await refused.ended();
      expect(refused.events.items.map((e) => e.errors?.[0]?.extensions?.code)).toEqual(['TOO_MANY_REQUESTS']);

      await onB.close();
      await waitFor(() => running(b) === 0, { what: "B's stream gone" });
      // The place B held is free on A once its release reached Redis.
      await waitFor(
        async () => {
          const again = await sseSubscribe(a.url, GRADE_CHANGED, { courseId }, token);
          await new Promise((r) => setTimeout(r, 200));
          if (again.isEnded()) return false;
          await again.close();
          return true;
        },
        { what: 'a stream on A in the place B freed' },
      );
      await onA.close();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
    }
  });
});
