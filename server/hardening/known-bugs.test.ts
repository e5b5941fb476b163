/**
 * Known hardening bugs (issue 6): each case states the behaviour we want and fails today. When a
 * fix lands, its case passes and moves to the file of its topic as a regression.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackedSocket, answerOrClose, runOperation, watchGrades, type GradeWatch } from '../../test/hardening';
import { connectLive, gql, GRADE_CHANGED, LIVE_CURSOR, newStreams, openLiveDatabase, startLiveApp, waitFor, type LiveDatabase, type LiveTestApp } from '../../test/live';

let ldb: LiveDatabase;
let api: LiveTestApp;
let watch: GradeWatch;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  api = await startLiveApp({ databaseUrl: ldb.url, env: { WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '2', WEB_ORIGINS: 'http://web.test:3000,http://127.0.0.1:3000' } });
  watch = await watchGrades(api, ldb, 'admin@homeroom.test');
});
afterAll(async () => {
  await watch?.dispose();
  await api?.stop();
  await ldb?.close();
});

/** Documents that break one graphql-armor limit each (defaults: depth 12, aliases 30, directives 50, cost 20000). */
function overLimit(courseId: string) {
  let costly = 'id';
  for (let i = 0; i < 2; i++) costly = `posts(first: 100) { edges { node { comments { author { id } } course { id ${costly} } } } }`;
  return {
    depth: `query { course(id: "${courseId}") { posts(first: 1) { edges { node { course { posts(first: 1) { edges { node { course { posts(first: 1) { edges { node { id } } } } } } } } } } } } }`,
    aliases: `query { ${Array.from({ length: 31 }, (_, i) => `a${i}: courses { id }`).join(' ')} }`,
    directives: `query { ${Array.from({ length: 51 }, () => '__typename @include(if: true)').join(' ')} }`,
    cost: `query { courses { ${costly} } }`,
  };
}

describe('known bugs', () => {
  /**
   * server/limits.ts + Yoga: graphql-armor reports its limits (depth, aliases, directives, cost) as
   * errors without `extensions.http.status`, so Yoga answers them with HTTP 200. The document was
   * never executed and the body has no `data` entry; the GraphQL-over-HTTP spec says that with
   * `Accept: application/graphql-response+json` a response without `data` MUST have a 4xx/5xx
   * status (other validation failures, e.g. an unknown field, already get 400). Caches and clients
   * that branch on the status treat the refusal as a success. Fix: in `useInputErrorCodes`, give
   * the rewritten errors `extensions.http = { status: 400 }` (or use armor's `onReject` to throw a
   * `createGraphQLError(…, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } })`).
   */
  it('a query over a graphql-armor limit is answered 400 (no `data`) under application/graphql-response+json', async () => {
    const token = await ldb.token('student@homeroom.test');
    const statuses: Record<string, [number, boolean]> = {};
    for (const [limit, query] of Object.entries(overLimit(ldb.f.course('MATH101').id))) {
      const response = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const body = await response.json();
      statuses[limit] = [response.status, 'data' in body];
    }
    expect(statuses).toEqual({ depth: [400, false], aliases: [400, false], directives: [400, false], cost: [400, false] });
  });

  /**
   * server/transport/ws.ts `onSubscribe`: `parse` is guarded, `validate` is not. graphql-armor's
   * validation rules throw (rather than return) their refusal, so the error escapes onSubscribe and
   * graphql-ws closes the whole socket with 4500 "Internal server error" (and logs "Internal error
   * occurred during message handling"): one over-limit operation kills every other subscription on
   * that socket, and the client reconnects into the same document. Expected: an `error` message for
   * that operation id, the socket and its other operations untouched (as for a syntax error).
   * Fix: `let errors; try { errors = validate(schema, document) } catch (e) { return [e] }`.
   */
  it('an over-limit operation over graphql-ws gets an `error` message; the socket and its other subscription stay', async () => {
    const token = await ldb.token('instructor@homeroom.test');
    const math = ldb.f.course('MATH101');
    const outcomes: Record<string, unknown> = {};
    for (const [limit, query] of Object.entries(overLimit(math.id))) {
      const ws = await ackedSocket(api.wsUrl, token);
      try {
        await ws.send({ id: 'live', type: 'subscribe', payload: { query: GRADE_CHANGED, variables: { courseId: math.id } } });
        await ws.send({ id: 'over', type: 'subscribe', payload: { query } });
        const { answer, closed } = await answerOrClose(ws, 'over');
        outcomes[limit] = closed ? `socket closed ${closed.code} ${closed.reason}` : answer.type === 'next' ? answer.payload : answer.type;
      } finally {
        ws.close();
      }
    }
    expect(outcomes).toEqual({ depth: 'error', aliases: 'error', directives: 'error', cost: 'error' });
    await watch.alive();
  });

  /**
   * server/transport/ws.ts: the operations-per-socket count is decremented in `onComplete`, which
   * graphql-ws calls only after the completed operation's iterator has wound down (a few ticks
   * later). A client at the cap that completes one operation and subscribes another in the same
   * breath (urql does exactly this when a subscription's variables change) is refused with
   * TOO_MANY_REQUESTS although it holds only cap − 1 operations. Fix: count graphql-ws's own
   * `ctx.subscriptions` (the `complete` message removes its id synchronously):
   * `Object.keys(ctx.subscriptions).length - 1 >= limit` (the current id is already in it), or
   * keep a Set of ids that also drops ids on an incoming `complete`.
   */
  it('at the operations cap, `complete` then `subscribe` in one write is accepted', async () => {
    const token = await ldb.token('instructor@homeroom.test');
    const math = ldb.f.course('MATH101');
    const ws = await ackedSocket(api.wsUrl, token);
    try {
      const after = (await gql(api.url, LIVE_CURSOR, {}, token)).data!.liveCursor;
      const subscribe = (id: string) => ({ id, type: 'subscribe', payload: { query: GRADE_CHANGED, variables: { courseId: math.id, after } } });
      const registered = api.app.live.hub.stats().listeners;
      await ws.send(subscribe('a'));
      await ws.send(subscribe('b'));
      await waitFor(() => api.app.live.hub.stats().listeners >= registered + 4, { what: 'a and b to register' });
      // One TCP write, as a browser sends two frames queued in the same task.
      const tcp = (ws.socket as unknown as { _socket: import('node:net').Socket })._socket;
      tcp.cork();
      ws.socket.send(JSON.stringify({ id: 'a', type: 'complete' }));
      ws.socket.send(JSON.stringify(subscribe('c')));
      tcp.uncork();
      await watch.alive();
      const c = await answerOrClose(ws, 'c');
      expect(c.answer).toMatchObject({ id: 'c', type: 'next' });
    } finally {
      ws.close();
    }
  });

  /**
   * server/yoga.ts `cors`: with two or more WEB_ORIGINS, Yoga answers a request from any other
   * origin with `Access-Control-Allow-Origin: null`. "null" is not harmless: it is the Origin of
   * sandboxed iframes, `data:` and `file:` documents, so any site can frame a sandboxed page whose
   * requests match it. Expected: no Access-Control-Allow-Origin header at all for a foreign origin
   * (and for `Origin: null`). Fix: `cors: (request) => allowed(request.headers.get('origin')) ?
   * { origin: [that origin], … } : false` (Yoga accepts a per-request factory; `false` sends none).
   */
  it('a foreign origin, and the opaque origin "null", get no Access-Control-Allow-Origin header', async () => {
    const allowOrigin = async (origin: string, method: 'OPTIONS' | 'POST') => {
      const response = await fetch(api.url, {
        method,
        headers:
          method === 'OPTIONS'
            ? { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' }
            : { origin, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ query: '{ __typename }' }) } : {}),
      });
      await response.arrayBuffer();
      return response.headers.get('access-control-allow-origin');
    };
    expect({
      foreignPreflight: await allowOrigin('http://evil.test', 'OPTIONS'),
      foreignPost: await allowOrigin('http://evil.test', 'POST'),
      nullPreflight: await allowOrigin('null', 'OPTIONS'),
      nullPost: await allowOrigin('null', 'POST'),
    }).toEqual({ foreignPreflight: null, foreignPost: null, nullPreflight: null, nullPost: null });
  });

  /**
   * server/limits.ts `useInputErrorCodes` gives refusals without a code (variables that do not
   * coerce: "NaN" for a Float, an enum value that does not exist) their BAD_USER_INPUT in Yoga's
   * `onResultProcess`, which only runs for HTTP responses. graphql-ws sends the raw execution
   * result, so over graphql-ws the same mistake arrives without `extensions.code` (README: "Errors
   * carry extensions.code"; clients branch on it). Syntax and validation errors already carry
   * GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED on both transports (the control rows below).
   * Fix: add the code in graphql-ws's `onNext` for results without `data` (server/transport/ws.ts),
   * or move the mapping into an envelop `onExecute` → `onExecuteDone` hook, which both transports run.
   */
  it('over graphql-ws, refusals carry the same extensions.code as over HTTP', async () => {
    const math = ldb.f.course('MATH101');
    const token = await ldb.token('instructor@homeroom.test');
    const cases = {
      'a variable that does not coerce': [
        `mutation($a: ID!, $s: ID!, $score: Float!) { recordGrade(assessmentId: $a, studentId: $s, score: $score) { id } }`,
        { a: math.assessments.Midterm.id, s: math.studentIds[0], score: 'NaN' },
      ],
      'an enum variable that does not exist': [
        `mutation($s: ID!, $st: ID!, $status: AttendanceStatus!) { recordAttendance(sessionId: $s, studentId: $st, status: $status) { id } }`,
        { s: math.sessions['Lesson 1'], st: math.studentIds[0], status: 'SLEEPING' },
      ],
      'a syntax error': ['{ me { id ', {}],
      'an unknown field': ['{ me { password } }', {}],
    } as const;
    const http: Record<string, unknown> = {};
    const ws: Record<string, unknown> = {};
    const socket = await ackedSocket(api.wsUrl, token);
    try {
      for (const [what, [query, variables]] of Object.entries(cases)) {
        http[what] = ((await gql(api.url, query, variables, token)).errors ?? []).map((e) => e.extensions?.code ?? '(no code)');
        const { results, error } = await runOperation(socket, query, variables);
        ws[what] = (error ?? results.flatMap((r) => r.errors ?? [])).map((e) => e.extensions?.code ?? '(no code)');
      }
    } finally {
      socket.close();
    }
    expect(http).toEqual({
      'a variable that does not coerce': ['BAD_USER_INPUT'],
      'an enum variable that does not exist': ['BAD_USER_INPUT'],
      'a syntax error': ['GRAPHQL_PARSE_FAILED'],
      'an unknown field': ['GRAPHQL_VALIDATION_FAILED'],
    });
    expect(ws).toEqual(http);
  });

  /**
   * server/metrics.ts `useMetrics` counts `homeroom_graphql_errors_total` in Yoga's
   * `onResultProcess`, which runs in Yoga's HTTP pipeline only. graphql-ws bypasses it
   * (server/transport/ws.ts executes through `getEnveloped`), so no error sent over graphql-ws is
   * ever counted: FORBIDDEN/UNAUTHENTICATED subscriptions, bad variables, TOO_MANY_REQUESTS — the
   * transport the web app uses for everything live. (An SSE subscription refused at subscribe time
   * is counted: the control below. Errors that arrive later inside an SSE stream are not either,
   * as onResultProcess sees the stream, not its items.) Fix: count in an envelop hook every
   * transport runs (`onExecute`/`onSubscribe` → `onExecuteDone`/`onSubscribeResult`, with
   * `handleStreamOrSingleExecutionResult` for streams), or also in graphql-ws's `onNext`/`onError`.
   */
  it('errors sent over graphql-ws are counted in homeroom_graphql_errors_total (as over SSE)', async () => {
    const phys = ldb.f.course('PHYS110');
    const token = await ldb.token('student@homeroom.test');
    const forbidden = async () => {
      const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
      return Number(/^homeroom_graphql_errors_total\{code="FORBIDDEN"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await forbidden();
    const socket = await ackedSocket(api.wsUrl, token);
    try {
      const { results } = await runOperation(socket, GRADE_CHANGED, { courseId: phys.id });
      expect(results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    } finally {
      socket.close();
    }
    const afterWs = await forbidden();
    const sse = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: GRADE_CHANGED, variables: { courseId: phys.id } }),
    });
    expect(await sse.text()).toContain('"code":"FORBIDDEN"');
    const afterSse = await forbidden();
    expect({ graphqlWs: afterWs - before, sse: afterSse - afterWs }).toEqual({ graphqlWs: 1, sse: 1 });
  });

  /**
   * server/live/stream.ts: the LIVE_MAX_QUEUED_EVENTS bound counts `raw.length + out.length`, and
   * `raw` receives every event of the stream's topics from the hub *before* any filtering: events
   * of other courses, events the viewer may not see, events at or before the seam, and events the
   * server simply has not executed yet. So the bound measures the instance's own backlog, not the
   * consumer's: one commit (or one relay batch, up to RELAY_BATCH_SIZE=500) with more events than
   * the bound closes every graphql-ws socket subscribed to that topic with 1013 — fast readers and
   * subscribers of unrelated courses included — and they all reconnect and replay at once. With the
   * defaults (1000) a bulk grade import of a large course, or a relay catching up after an outage,
   * does this to the whole instance. Expected: only a consumer that does not read falls behind.
   * Fix: count only what `consider` accepted (`out`), and only while the consumer is not pulling
   * (e.g. overflow when `out.length >= maxQueue` *and* no `next()` was pending for N ms, or bound
   * transport backpressure: ws `bufferedAmount` / the time graphql-ws has been awaiting a send);
   * filter `match` (course, poll) in the hub listener before queueing.
   */
  describe('the queue bound (LIVE_MAX_QUEUED_EVENTS=50) and a burst of 100 events in one commit', () => {
    let small: LiveTestApp;
    beforeAll(async () => {
      const math = ldb.f.course('MATH101');
      await ldb.sql`
        insert into grades (assessment_id, course_id, student_id, score)
        select a.id, a.course_id, e.student_id, 1 from assessments a join enrolments e on e.course_id = a.course_id
        where a.course_id = ${math.id} on conflict (assessment_id, student_id) do nothing`;
      small = await startLiveApp({ databaseUrl: ldb.url, env: { LIVE_MAX_QUEUED_EVENTS: '50' } });
      // Start after the setup's events: only the burst below reaches the streams live.
      const end = (await ldb.outbox()).at(-1)!;
      await waitFor(() => {
        const last = small.app.live.hub.lastCursor();
        return last && (last.xid > BigInt(end.xid) || (last.xid === BigInt(end.xid) && last.id >= BigInt(end.id)));
      }, { timeoutMs: 15_000, what: 'the hub to dispatch the setup' });
    });
    afterAll(() => small?.stop());

    it('neither a subscriber of another course nor a fast subscriber of this one is closed', async () => {
      const math = ldb.f.course('MATH101');
      const phys = ldb.f.course('PHYS110');
      const fastReader = connectLive(small.wsUrl, await ldb.token('instructor@homeroom.test'));
      const elsewhere = connectLive(small.wsUrl, await ldb.token('instructor2@homeroom.test'));
      try {
        const registered = newStreams(small);
        const mathStream = fastReader.subscribe(GRADE_CHANGED, { courseId: math.id });
        const physStream = elsewhere.subscribe(GRADE_CHANGED, { courseId: phys.id });
        await registered(2);
        const [{ n }] = await ldb.sql<{ n: number }[]>`with u as (update grades set score = 2 where course_id = ${math.id} returning 1) select count(*)::int as n from u`;
        expect(n).toBeGreaterThanOrEqual(100);
        await mathStream.until(() => mathStream.done || mathStream.items.length >= n, 20_000, 'the burst or the end');
        await ldb.setGrade(phys.assessments.Midterm.id, phys.id, phys.studentIds[0], 3); // one for the other course
        await physStream.until(() => physStream.done || physStream.items.length >= 1, 20_000, 'its own event or the end');
        expect({
          fastReader: { closes: fastReader.closes.items, events: mathStream.items.length },
          elsewhere: { closes: elsewhere.closes.items, events: physStream.items.length },
        }).toEqual({ fastReader: { closes: [], events: n }, elsewhere: { closes: [], events: 1 } });
      } finally {
        await fastReader.dispose();
        await elsewhere.dispose();
      }
    });
  });
});
