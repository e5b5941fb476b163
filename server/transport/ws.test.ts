/**
 * Issue 18.1 — a reused operation id, on the real server. On one acknowledged socket, `subscribe X`
 * then `complete X` in a burst, then `subscribe X` once more: exactly one stream runs (one frame per
 * event), and nothing stays registered once the socket or the token ends. (The protocol core's
 * bookkeeping, deterministically: operations.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { GRADE_CHANGED, useLiveApp, waitFor } from '../../test/live';
import { ackedSocket } from '../../test/transport';

const live = useLiveApp();

/** Live streams registered with the hub (each listens to its topic, `membership` and `account`). */
const streams = () => live.api.app.live.hub.stats().listeners / 3;
const subscribe = (id: string, courseId: string) => ({
  id,
  type: 'subscribe',
  payload: { query: GRADE_CHANGED, variables: { courseId } },
});

describe('graphql-ws: a reused operation id', () => {
  it('subscribe/complete in a burst, then subscribe: one stream, one frame per event, nothing left after close', async () => {
    const math = live.ldb.f.course('MATH101');
    const before = streams();
    const ws = await ackedSocket(live.api.wsUrl, await live.ldb.token('instructor@homeroom.test'));
    for (let i = 0; i < 20; i++) {
      await ws.send(subscribe('X', math.id));
      await ws.send({ id: 'X', type: 'complete' });
    }
    await ws.send(subscribe('X', math.id));
    // A second operation that starts after all of the above: once it runs, X's attempts have settled.
    await ws.send(subscribe('Y', math.id));
    await waitFor(() => streams() >= before + 2, { what: 'X and Y running' });
    const assessment = Object.values(math.assessments)[0].id;
    await live.ldb.setGrade(assessment, math.id, math.studentIds[0], 71);
    await ws.messages.until(() => ws.messages.items.some((m) => m.id === 'Y' && m.type === 'next'));
    await live.ldb.setGrade(assessment, math.id, math.studentIds[0], 72);
    await ws.messages.until(() => ws.messages.items.filter((m) => m.id === 'Y' && m.type === 'next').length === 2);
    // Y's frames went out after X's (same event, X subscribed first): X's count is final.
    expect(ws.messages.items.filter((m) => m.id === 'X' && m.type === 'next')).toHaveLength(2);
    expect(streams()).toBe(before + 2);
    ws.close();
    await ws.closed();
    await waitFor(() => streams() === before, { what: 'every stream of the socket ended' });
  });

  it('the token expires: the socket closes 4403 and every stream it started ends, reused ids included', async () => {
    const math = live.ldb.f.course('MATH101');
    const before = streams();
    const ws = await ackedSocket(live.api.wsUrl, await live.ldb.token('instructor@homeroom.test', 3));
    for (let i = 0; i < 10; i++) {
      await ws.send(subscribe('X', math.id));
      await ws.send({ id: 'X', type: 'complete' });
    }
    await ws.send(subscribe('X', math.id));
    await waitFor(() => streams() >= before + 1, { what: 'X running' });
    const closed = await ws.closed(15_000);
    expect(closed).toEqual({ code: 4403, reason: 'Token expired' });
    await waitFor(() => streams() === before, { what: 'every stream of the socket ended' });
  });
});
