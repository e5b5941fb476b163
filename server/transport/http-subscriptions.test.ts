/**
 * Issue 18.2 — subscriptions over HTTP that Yoga refuses (406: a subscription asked for as
 * `application/json`, POST or GET with `graphql-require-preflight`) start nothing: no stream
 * registers, /metrics shows no active subscription, and a refused burst leaves the count where it was.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GRADE_CHANGED, useLiveApp } from '../../test/live';
import { parseMetrics } from '../../test/transport';

const live = useLiveApp();
let token: string;
beforeAll(async () => {
  token = await live.ldb.token('instructor@homeroom.test');
});

/** Live streams registered with the hub (each listens to its topic, `membership` and `account`). */
const streams = () => live.api.app.live.hub.stats().listeners / 3;
async function activeSubscriptions() {
  const samples = parseMetrics(await (await fetch(`${live.api.baseUrl}/metrics`)).text());
  return samples.filter((s) => s.name === 'homeroom_subscriptions_active').reduce((n, s) => n + s.value, 0);
}

function refusedPost() {
  return fetch(live.api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: GRADE_CHANGED, variables: { courseId: live.ldb.f.course('MATH101').id } }),
  });
}

function refusedGet() {
  const query = new URLSearchParams({
    query: GRADE_CHANGED,
    variables: JSON.stringify({ courseId: live.ldb.f.course('MATH101').id }),
  });
  return fetch(`${live.api.url}?${query}`, {
    headers: { accept: 'application/json', 'graphql-require-preflight': '1', authorization: `Bearer ${token}` },
  });
}

describe('HTTP: a subscription the transport refuses starts nothing', () => {
  it.each([
    ['POST with Accept: application/json', refusedPost],
    ['GET with graphql-require-preflight', refusedGet],
  ])('%s → 406, no stream registered', async (_label, request) => {
    const before = { streams: streams(), metric: await activeSubscriptions() };
    const responses = await Promise.all(Array.from({ length: 50 }, () => request()));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 406));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(streams()).toBe(before.streams);
    expect(await activeSubscriptions()).toBe(before.metric);
  });
});
