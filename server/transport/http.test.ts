/**
 * Issue 6.3 — GraphQL over HTTP by the book (graphql-http's own audit suite against the started
 * API), GET for mutations, `application/graphql-response+json` status codes, and SSE by the
 * graphql-sse protocol with graphql-sse's own client (distinct connections mode).
 */

import { serverAudits } from 'graphql-http';
import { createClient } from 'graphql-sse';
import { describe, expect, it } from 'vitest';
import { Collector, GRADE_CHANGED, gqlOk, LIVE_CURSOR, useLiveApp } from '../../test/live';

const live = useLiveApp();

/**
 * The audits send GET requests as a generic client would; browsers' CSRF protection asks API
 * clients to declare themselves on GET with a preflight header, so only GETs get one.
 */
const fetchWithPreflightOnGet: typeof fetch = (input, init = {}) => {
  const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  if (method !== 'GET') return fetch(input, init);
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('graphql-require-preflight', '1');
  return fetch(input, { ...init, headers });
};

describe('graphql-http server audits', () => {
  it('every MUST passes (SHOULD failures are listed)', async () => {
    const results = [];
    for (const audit of serverAudits({ url: live.api.url, fetchFn: fetchWithPreflightOnGet }))
      results.push(await audit.fn());
    const failed = results.filter((r) => r.status !== 'ok');
    const should = failed
      .filter((r) => r.name.startsWith('SHOULD') || r.name.startsWith('MAY'))
      .map((r) => `${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`);
    if (should.length)
      console.info(`graphql-http SHOULD/MAY audits not met (${should.length}):\n  ${should.join('\n  ')}`);
    const must = failed
      .filter((r) => r.name.startsWith('MUST'))
      .map((r) => `${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(must).toEqual([]);
    // graphql-http 1.23.1 has 61 audits; all pass today (SHOULD and MAY included). Without the
    // preflight header on GET only three MAY audits (GET variants) fail, by design (CSRF).
    expect(results.length).toBe(61);
    expect(should).toEqual([]);
  });
});

describe('HTTP methods and status codes', () => {
  const csrf = { 'graphql-require-preflight': '1' };
  const get = (query: string, accept = 'application/graphql-response+json') =>
    fetch(`${live.api.url}?query=${encodeURIComponent(query)}`, { headers: { accept, ...csrf } });
  const post = (body: string, accept = 'application/graphql-response+json', token?: string) =>
    fetch(live.api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  it('a mutation over GET → 405 with Allow: POST, and it does not run', async () => {
    const before = (await live.ldb.sql`select count(*)::int as n from notifications where read_at is not null`)[0].n;
    const response = await fetch(
      `${live.api.url}?query=${encodeURIComponent('mutation { markAllNotificationsRead }')}`,
      {
        headers: {
          accept: 'application/graphql-response+json',
          authorization: `Bearer ${await live.ldb.token('student@homeroom.test')}`,
          ...csrf,
        },
      },
    );
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toMatch(/POST/);
    expect((await live.ldb.sql`select count(*)::int as n from notifications where read_at is not null`)[0].n).toBe(
      before,
    );
  });

  it('application/graphql-response+json: 200 with data; 400 for unparsable JSON, a syntax error, an invalid document, missing query; 200 for a field error with data', async () => {
    const statuses = {
      ok: (await post(JSON.stringify({ query: '{ __typename }' }))).status,
      okGet: (await get('{ __typename }')).status,
      badJson: (await post('{"query": ')).status,
      syntax: (await post(JSON.stringify({ query: '{ me { id ' }))).status,
      invalid: (await post(JSON.stringify({ query: '{ nope }' }))).status,
      noQuery: (await post(JSON.stringify({ variables: {} }))).status,
      badVariables: (
        await post(
          JSON.stringify({
            query: 'query($n: Int!) { notifications(first: $n) { totalCount } }',
            variables: { n: 'x' },
          }),
        )
      ).status,
      // A resolver error (no token): `data` is present, null: 200 is the spec's recommendation.
      fieldError: (await post(JSON.stringify({ query: '{ me { id } courses { id } }' }))).status,
    };
    expect(statuses).toEqual({
      ok: 200,
      okGet: 200,
      badJson: 400,
      syntax: 400,
      invalid: 400,
      noQuery: 400,
      badVariables: 400,
      fieldError: 200,
    });
    const response = await post(JSON.stringify({ query: '{ nope }' }));
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect((await response.json()).data).toBeUndefined();
  });

  it('legacy application/json: every well-formed GraphQL response is 200, errors in the body', async () => {
    const invalid = await post(JSON.stringify({ query: '{ nope }' }), 'application/json');
    expect(invalid.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await invalid.json();
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('an Accept nobody can serve → 406', async () => {
    expect((await post(JSON.stringify({ query: '{ __typename }' }), 'application/xml')).status).toBe(406);
  });
});

describe('SSE by the graphql-sse protocol (graphql-sse client, distinct connections mode)', () => {
  const sseClient = (token: string | null) =>
    createClient({
      url: live.api.url,
      singleConnection: false,
      retryAttempts: 0,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('subscribes, replays after a cursor, then delivers live events', async () => {
    const math = live.ldb.f.course('MATH101');
    const token = await live.ldb.token('instructor@homeroom.test');
    const after = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token)).liveCursor;
    await live.ldb.setGrade(math.assessments['Quiz 1'].id, math.id, math.studentIds[1], 7); // replayed
    const client = sseClient(token);
    const events = new Collector<any>();
    let ended: unknown = null;
    const dispose = client.subscribe(
      { query: GRADE_CHANGED, variables: { courseId: math.id, after } },
      {
        next: (result) => events.push(result),
        error: (error) => ((ended = error), events.notify()),
        complete: () => ((ended = 'complete'), events.notify()),
      },
    );
    try {
      await events.count(1, 15_000);
      await live.ldb.setGrade(math.assessments['Quiz 1'].id, math.id, math.studentIds[2], 8); // live
      const [replayed, pushed] = await events.count(2, 15_000);
      expect(replayed.data.gradeChanged.grade).toMatchObject({ score: 7, student: { id: math.studentIds[1] } });
      expect(pushed.data.gradeChanged.grade).toMatchObject({ score: 8, student: { id: math.studentIds[2] } });
      expect(ended).toBeNull();
    } finally {
      dispose();
      client.dispose();
    }
  });

  it('errors arrive in the stream (FORBIDDEN for a foreign course, UNAUTHENTICATED without a token), then the stream completes', async () => {
    const phys = live.ldb.f.course('PHYS110');
    const run = async (token: string | null) => {
      const client = sseClient(token);
      const results: any[] = [];
      try {
        for await (const result of client.iterate({ query: GRADE_CHANGED, variables: { courseId: phys.id } }))
          results.push(result);
      } finally {
        client.dispose();
      }
      return results;
    };
    const forbidden = await run(await live.ldb.token('student@homeroom.test'));
    expect(forbidden.map((r) => r.errors?.map((e: any) => e.extensions?.code))).toEqual([['FORBIDDEN']]);
    expect(forbidden[0].data ?? null).toBeNull();
    const anonymous = await run(null);
    expect(anonymous.map((r) => r.errors?.map((e: any) => e.extensions?.code))).toEqual([['UNAUTHENTICATED']]);
  });

  it('a query and a mutation also work over the same protocol', async () => {
    const client = sseClient(await live.ldb.token('student@homeroom.test'));
    try {
      const results: any[] = [];
      for await (const result of client.iterate({ query: '{ me { id } }' })) results.push(result);
      expect(results).toEqual([{ data: { me: { id: live.ldb.f.user('student@homeroom.test') } } }]);
    } finally {
      client.dispose();
    }
  });
});
