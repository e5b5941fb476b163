/**
 * Every common GraphQL client, unmodified, against a started API: each follows a live topic and
 * receives a change committed after it started (read `liveCursor`, then follow from it, so none
 * of them can miss the commit by subscribing late). graphql-ws, graphql-sse, urql (its default
 * GET for queries with the CSRF header the README documents; subscriptions over fetch), Apollo
 * Client over a WebSocket (GraphQLWsLink) and over multipart HTTP (only an HttpLink), and
 * graphql-http, which has no subscriptions: it commits the change with a mutation and catches up
 * through the polling topic `updates(after)`, as a client without a socket does.
 */
import { ApolloClient, gql as apolloGql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { fetchExchange, Client as UrqlClient } from '@urql/core';
import { createClient as createHttpClient } from 'graphql-http';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Collector, GRADE_CHANGED, gqlOk, LIVE_CURSOR, useLiveApp } from '../../test/live';

type HttpResult<T> = { data?: T | null; errors?: readonly unknown[] };
type GradeEvent = { cursor: string; grade: { score: number; student: { id: string } } | null };

// No heartbeat within a test's time: an event must reach each client on its own, not on the next heartbeat.
const live = useLiveApp({ env: { WS_KEEPALIVE_MS: '120000' } });
let token: string;
beforeAll(async () => {
  token = await live.ldb.token('instructor@homeroom.test');
});

let round = 0;
/** A grade nobody else writes (its score tells this commit's event apart), committed in SQL. */
async function commitGrade() {
  round += 1;
  const math = live.ldb.f.course('MATH101');
  const student = math.studentIds[round % math.studentIds.length];
  const score = 50 + round / 8;
  await live.ldb.setGrade(math.assessments.Midterm.id, math.id, student, score);
  return { student, score };
}

/**
 * Follows MATH101's grades from the current cursor with `follow` (which pushes every gradeChanged
 * event it receives), commits a grade, and resolves once that very event arrived.
 */
async function receivesCommittedGrade(
  follow: (variables: Record<string, unknown>, events: Collector<GradeEvent>) => () => void,
) {
  const math = live.ldb.f.course('MATH101');
  const after = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token)).liveCursor;
  const events = new Collector<GradeEvent>();
  const stop = follow({ courseId: math.id, after }, events);
  try {
    const { student, score } = await commitGrade();
    const event = await events.find(
      (e) => e.grade?.student.id === student && e.grade.score === score,
      20_000,
      'the committed grade',
    );
    expect(event.grade).toMatchObject({ score, student: { id: student } });
  } finally {
    stop();
  }
}

describe('each client receives a committed change', () => {
  it('graphql-ws', async () => {
    const client = createWsClient({
      url: live.api.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    try {
      await receivesCommittedGrade((variables, events) =>
        client.subscribe<{ gradeChanged: GradeEvent }>(
          { query: GRADE_CHANGED, variables },
          { next: (r) => r.data && events.push(r.data.gradeChanged), error: () => {}, complete: () => {} },
        ),
      );
    } finally {
      await client.dispose();
    }
  });

  it('graphql-sse (distinct connections mode)', async () => {
    const client = createSseClient({
      url: live.api.url,
      singleConnection: false,
      retryAttempts: 0,
      headers: { authorization: `Bearer ${token}` },
    });
    try {
      await receivesCommittedGrade((variables, events) =>
        client.subscribe<{ gradeChanged: GradeEvent }>(
          { query: GRADE_CHANGED, variables },
          { next: (r) => r.data && events.push(r.data.gradeChanged), error: () => {}, complete: () => {} },
        ),
      );
    } finally {
      client.dispose();
    }
  });

  it('urql: queries by GET with the CSRF header, subscriptions over fetch', async () => {
    const methods: string[] = [];
    const client = new UrqlClient({
      url: live.api.url,
      exchanges: [fetchExchange],
      fetchSubscriptions: true,
      // README "Limits and security": a GET needs `graphql-require-preflight` (or x-graphql-yoga-csrf).
      fetchOptions: { headers: { authorization: `Bearer ${token}`, 'graphql-require-preflight': '1' } },
      fetch: (input, init) => (methods.push(init?.method ?? 'GET'), fetch(input, init)),
    });
    const { data, error } = await client.query<{ liveCursor: string }>(LIVE_CURSOR, {}).toPromise();
    expect(error).toBeUndefined();
    expect(data?.liveCursor).toMatch(/^\d+\.\d+$/);
    expect(methods).toEqual(['GET']);
    await receivesCommittedGrade((variables, events) => {
      const { unsubscribe } = client
        .subscription<{ gradeChanged: GradeEvent }>(GRADE_CHANGED, variables)
        .subscribe((result) => result.data && events.push(result.data.gradeChanged));
      return unsubscribe;
    });
  });

  it('Apollo Client with a WebSocket link (GraphQLWsLink)', async () => {
    const ws = createWsClient({
      url: live.api.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    const client = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() });
    try {
      await receivesCommittedGrade((variables, events) => {
        const subscription = client
          .subscribe<{ gradeChanged: GradeEvent }>({ query: apolloGql(GRADE_CHANGED), variables })
          .subscribe({ next: (r) => r.data && events.push(r.data.gradeChanged as GradeEvent) });
        return () => subscription.unsubscribe();
      });
    } finally {
      client.stop();
      await ws.dispose();
    }
  });

  it('Apollo Client with only an HttpLink (multipart HTTP subscriptions)', async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: live.api.url, headers: { authorization: `Bearer ${token}` } }),
      cache: new InMemoryCache(),
    });
    try {
      await receivesCommittedGrade((variables, events) => {
        const subscription = client
          .subscribe<{ gradeChanged: GradeEvent }>({ query: apolloGql(GRADE_CHANGED), variables })
          .subscribe({ next: (r) => r.data && events.push(r.data.gradeChanged as GradeEvent) });
        return () => subscription.unsubscribe();
      });
    } finally {
      client.stop();
    }
  });

  it('graphql-http: commits with a mutation, then `updates(after)` returns that change', async () => {
    const client = createHttpClient({ url: live.api.url, headers: { authorization: `Bearer ${token}` } });
    const run = <T>(query: string, variables: Record<string, unknown> = {}) =>
      new Promise<HttpResult<T>>((resolve, reject) => {
        let result: HttpResult<T>;
        client.subscribe<T>(
          { query, variables },
          { next: (r) => (result = r), error: reject, complete: () => resolve(result) },
        );
      });
    const math = live.ldb.f.course('MATH101');
    const student = math.studentIds[0];
    const { data: cursor } = await run<{ liveCursor: string }>(LIVE_CURSOR);
    const { data: recorded, errors } = await run<{ recordGrade: { id: string } }>(
      `mutation ($a: ID!, $s: ID!) { recordGrade(assessmentId: $a, studentId: $s, score: 77.5) { id } }`,
      { a: math.assessments.Midterm.id, s: student },
    );
    expect(errors).toBeUndefined();
    const { data } = await run<{ updates: { events: GradeEvent[] } }>(
      `query ($after: String!, $c: ID) { updates(after: $after, courseId: $c) { events { ... on GradeEvent { cursor grade { id score student { id } } } } } }`,
      { after: cursor!.liveCursor, c: math.id },
    );
    expect(data!.updates.events).toContainEqual(
      expect.objectContaining({ grade: { id: recorded!.recordGrade.id, score: 77.5, student: { id: student } } }),
    );
  });
});
