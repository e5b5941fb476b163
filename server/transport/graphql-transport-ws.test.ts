/**
 * Issue 6.2 — bad input gets the right answer, every other socket keeps working, no row changes.
 * graphql-transport-ws violations and their close codes, tokens forged every way, operations on
 * courses the caller may not see, bad arguments and hostile strings, huge and deep documents.
 * A healthy subscriber (the admin on MATH101's grades) proves after each group that the server
 * still delivers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, snapshot, writableTables } from '../../test/api/api';
import {
  ATTENDANCE_CHANGED,
  CONTENT_AVAILABLE,
  GRADE_CHANGED,
  gql,
  type LiveDatabase,
  newStreams,
  openLiveDatabase,
  POLL_CHANGED,
  rawSocket,
  startTestApp,
  type TestApp,
} from '../../test/live';
import {
  ackedSocket,
  type CraftedToken,
  craftToken,
  type GradeWatch,
  initResult,
  runOperation,
  watchGrades,
} from '../../test/transport';

let ldb: LiveDatabase;
let api: TestApp;
let watch: GradeWatch;
let tables: string[];
/** Opened first and never initialised: graphql-ws closes it 4408 after 10 s (checked by the last test). */
let silent: { ws: ReturnType<typeof rawSocket>; openedAt: number };

beforeAll(async () => {
  ldb = await openLiveDatabase();
  api = await startTestApp({ databaseUrl: ldb.url });
  const ws = rawSocket(api.wsUrl);
  await new Promise((resolve) => ws.socket.once('open', resolve));
  silent = { ws, openedAt: Date.now() };
  tables = await writableTables(ldb.sql);
  watch = await watchGrades(api, ldb, 'admin@homeroom.test');
});
afterAll(async () => {
  silent?.ws.close();
  await watch?.dispose();
  await api?.stop();
  await ldb?.close();
});

const tokenOf = (email: string) => ldb.token(email);

describe('graphql-transport-ws violations → their close codes; other sockets unaffected', () => {
  it.each([
    [
      'a frame that is not JSON',
      4400,
      'Invalid message received',
      (ws: ReturnType<typeof rawSocket>) => ws.socket.send('{"type": "connection_init"'),
    ],
    [
      'a message of an unknown type',
      4400,
      'Invalid message received',
      (ws: ReturnType<typeof rawSocket>) => ws.socket.send(JSON.stringify({ type: 'hello' })),
    ],
    [
      'a message without a type',
      4400,
      'Invalid message received',
      (ws: ReturnType<typeof rawSocket>) => ws.socket.send(JSON.stringify({ payload: {} })),
    ],
    ['a JSON array', 4400, 'Invalid message received', (ws: ReturnType<typeof rawSocket>) => ws.socket.send('[]')],
    [
      'subscribe without an id',
      4400,
      'Invalid message received',
      (ws: ReturnType<typeof rawSocket>) =>
        ws.socket.send(JSON.stringify({ type: 'subscribe', payload: { query: '{ __typename }' } })),
    ],
    [
      'a message only the server sends (next)',
      4400,
      'Invalid message received',
      (ws: ReturnType<typeof rawSocket>) => ws.socket.send(JSON.stringify({ id: '1', type: 'next', payload: {} })),
    ],
    [
      'subscribe before connection_init',
      4401,
      'Unauthorized',
      (ws: ReturnType<typeof rawSocket>) =>
        ws.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } })),
    ],
  ] as const)('%s → %i', async (_what, code, reason, act) => {
    const ws = rawSocket(api.wsUrl);
    await new Promise((resolve) => ws.socket.once('open', resolve));
    act(ws);
    expect(await ws.closed(10_000)).toEqual({ code, reason });
    await watch.alive();
  });

  it('subscribe with a payload that is not an operation → 4400', async () => {
    const ws = await ackedSocket(api.wsUrl, await tokenOf('student@homeroom.test'));
    ws.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: 'query' }));
    expect(await ws.closed(10_000)).toEqual({ code: 4400, reason: 'Invalid message received' });
    await watch.alive();
  });

  it('a second connection_init → 4429', async () => {
    const ws = await ackedSocket(api.wsUrl, await tokenOf('student@homeroom.test'));
    await ws.send({
      type: 'connection_init',
      payload: { authorization: `Bearer ${await tokenOf('student@homeroom.test')}` },
    });
    expect(await ws.closed(10_000)).toEqual({ code: 4429, reason: 'Too many initialisation requests' });
    await watch.alive();
  });

  it('a duplicate operation id while the first is running → 4409', async () => {
    const math = ldb.f.course('MATH101');
    const ws = await ackedSocket(api.wsUrl, await tokenOf('instructor@homeroom.test'));
    await ws.send({
      id: 'same',
      type: 'subscribe',
      payload: { query: GRADE_CHANGED, variables: { courseId: math.id } },
    });
    await ws.send({
      id: 'same',
      type: 'subscribe',
      payload: { query: GRADE_CHANGED, variables: { courseId: math.id } },
    });
    expect(await ws.closed(10_000)).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });
    await watch.alive();
  });

  it('an id may be reused once its operation completed', async () => {
    const ws = await ackedSocket(api.wsUrl, await tokenOf('student@homeroom.test'));
    try {
      for (let i = 0; i < 2; i++) {
        await ws.send({ id: 'again', type: 'subscribe', payload: { query: '{ __typename }' } });
        await ws.messages.until(
          () => ws.messages.items.filter((m) => m.id === 'again' && m.type === 'complete').length > i,
          10_000,
          'completion',
        );
      }
      expect(ws.closes.items).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('complete ends that subscription only: nothing more for it, the other one on the socket still delivers', async () => {
    const math = ldb.f.course('MATH101');
    const ws = await ackedSocket(api.wsUrl, await tokenOf('instructor@homeroom.test'));
    const nexts = (id: string) => ws.messages.items.filter((m) => m.id === id && m.type === 'next').length;
    try {
      const registered = newStreams(api);
      for (const id of ['a', 'b'])
        await ws.send({ id, type: 'subscribe', payload: { query: GRADE_CHANGED, variables: { courseId: math.id } } });
      await registered(2);
      await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[0], 71);
      await ws.messages.until(() => nexts('a') === 1 && nexts('b') === 1, 10_000, 'the first grade on both');
      await ws.send({ id: 'a', type: 'complete' });
      await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[0], 72);
      await ws.messages.until(() => nexts('b') === 2, 10_000, 'the second grade on b');
      // A client's complete is not echoed (graphql-transport-ws): the server just stops.
      expect(ws.messages.items.filter((m) => m.id === 'a')).toHaveLength(1);
      expect(ws.closes.items).toEqual([]);
    } finally {
      ws.close();
    }
    await watch.alive();
  });

  it('a subprotocol other than graphql-transport-ws (the legacy "graphql-ws") is not negotiated', async () => {
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(api.wsUrl, 'graphql-ws');
    const outcome = await new Promise<string>((resolve) => {
      socket.once('close', (code) => resolve(`closed ${code}`));
      socket.once('error', (error) => resolve(`error ${error.message}`));
    });
    // ws refuses a subprotocol the server did not pick: the upgrade fails, or graphql-ws closes 4406.
    expect(outcome).toMatch(/closed 4406|error .*(subprotocol|Server sent no subprotocol)/i);
    await watch.alive();
  });

  it('ping is answered with pong (and a socket that only pings is not refused)', async () => {
    const ws = rawSocket(api.wsUrl);
    await ws.send({ type: 'ping', payload: { n: 1 } });
    expect(await ws.messages.find((m) => m.type === 'pong')).toEqual({ type: 'pong', payload: { n: 1 } });
    ws.close();
  });
});

describe('tokens at connect → 4403 with a reason', () => {
  const student = () => ({ id: ldb.f.user('student@homeroom.test'), role: 'STUDENT' });
  it.each<[string, () => unknown, string]>([
    ['no connectionParams', () => undefined, 'Missing token: send connectionParams.authorization'],
    ['an empty authorization', () => ({ authorization: '' }), 'Missing token: send connectionParams.authorization'],
    [
      '"Bearer " and nothing',
      () => ({ authorization: 'Bearer ' }),
      'Missing token: send connectionParams.authorization',
    ],
    ['a number', () => ({ authorization: 42 }), 'Missing token: send connectionParams.authorization'],
    ['an object', () => ({ authorization: { token: 'x' } }), 'Missing token: send connectionParams.authorization'],
    ['garbage', () => ({ authorization: 'Bearer garbage' }), 'Invalid token'],
    ['a 50 KB token', () => ({ authorization: `Bearer ${'a'.repeat(50_000)}.b.c` }), 'Invalid token'],
  ])('%s', async (_what, params, reason) => {
    expect(await initResult(rawSocket(api.wsUrl), params())).toEqual({ code: 4403, reason });
  });

  it.each<[CraftedToken, string]>([
    ['alg-none', 'Invalid token'],
    ['hs512-same-secret', 'Invalid token'],
    ['rs256-header-hmac-signature', 'Invalid token'],
    ['other-secret', 'Invalid token'],
    ['expired', 'Token expired'],
    ['no-subject', 'Invalid token'],
    ['unknown-role', 'Invalid token'],
    ['other-issuer', 'Invalid token'],
    ['tampered-role', 'Invalid token'],
  ])('a crafted token, %s', async (kind, reason) => {
    const token = craftToken(kind, student());
    expect(await initResult(rawSocket(api.wsUrl), { authorization: `Bearer ${token}` })).toEqual({
      code: 4403,
      reason,
    });
    // The same token over HTTP grants nothing either.
    const http = await gql(api.url, '{ me { id role } }', {}, token);
    expect(http.data).toEqual({ me: null });
  });

  it('the well-formed control: the same crafting with the right secret and HS256 is accepted', async () => {
    // Proves the crafted tokens above differ from a valid one only in what they break.
    const { createHmac } = await import('node:crypto');
    const { base64url } = await import('jose');
    const { TEST_JWT_SECRET } = await import('../../test');
    const now = Math.floor(Date.now() / 1000);
    const [session] = await ldb.sql<
      { id: string }[]
    >`insert into sessions (user_id) values (${student().id}) returning id`;
    const input = `${base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ role: 'STUDENT', auth_time: now, iss: 'homeroom', sub: student().id, sid: session.id, iat: now, exp: now + 900 }))}`;
    const token = `${input}.${base64url.encode(createHmac('sha256', TEST_JWT_SECRET).update(input).digest())}`;
    expect(await initResult(rawSocket(api.wsUrl), { authorization: `Bearer ${token}` })).toBe('acked');
    await watch.alive();
  });
});

describe('courses the caller may not see', () => {
  const SUBSCRIPTIONS = {
    gradeChanged: GRADE_CHANGED,
    attendanceChanged: ATTENDANCE_CHANGED,
    pollChanged: POLL_CHANGED,
    contentAvailable: CONTENT_AVAILABLE,
  };
  const QUERIES = {
    course: `query($courseId: ID!) { course(id: $courseId) { id title } }`,
    updates: `query($courseId: ID!) { updates(after: "0.0", courseId: $courseId) { cursor } }`,
  };

  it.each([
    ['a student, a course they are not enrolled in', 'student@homeroom.test', 'PHYS110'],
    ['an instructor, a course they do not teach', 'instructor@homeroom.test', 'HIST201'],
  ] as const)('%s: every subscription and course query is FORBIDDEN; the socket stays', async (_who, email, code) => {
    const courseId = ldb.f.course(code).id;
    const ws = await ackedSocket(api.wsUrl, await tokenOf(email));
    try {
      const outcome: Record<string, unknown> = {};
      for (const [name, query] of Object.entries({ ...SUBSCRIPTIONS, ...QUERIES })) {
        const { results, error } = await runOperation(ws, query, { courseId });
        outcome[name] = error
          ? error.map((e) => e.extensions?.code)
          : results.flatMap((r) => (r.errors ?? []).map((e) => e.extensions?.code));
        expect(results.every((r) => !r.data || Object.values(r.data).every((v) => v === null))).toBe(true);
      }
      expect(outcome).toEqual({
        gradeChanged: ['FORBIDDEN'],
        attendanceChanged: ['FORBIDDEN'],
        pollChanged: ['FORBIDDEN'],
        contentAvailable: ['FORBIDDEN'],
        course: ['FORBIDDEN'],
        updates: ['FORBIDDEN'],
      });
      expect(ws.closes.items).toEqual([]);
    } finally {
      ws.close();
    }
    await watch.alive();
  });

  it('without a token every subscription is UNAUTHENTICATED (over SSE: graphql-ws needs a token to connect)', async () => {
    const courseId = ldb.f.course('MATH101').id;
    for (const query of Object.values(SUBSCRIPTIONS)) {
      const response = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query, variables: { courseId } }),
      });
      const text = await response.text();
      expect(text).toContain('"code":"UNAUTHENTICATED"');
      expect(text).not.toContain('"cursor"');
    }
  });

  it('the admin may see every course: the same operations run', async () => {
    const ws = await ackedSocket(api.wsUrl, await tokenOf('admin@homeroom.test'));
    try {
      const { results } = await runOperation(ws, QUERIES.course, { courseId: ldb.f.course('PHYS110').id });
      expect(results).toEqual([{ data: { course: { id: ldb.f.course('PHYS110').id, title: expect.any(String) } } }]);
    } finally {
      ws.close();
    }
  });
});

describe('bad arguments → typed errors, no row changes, other sockets keep working', () => {
  const RECORD_GRADE = `mutation($a: ID!, $s: ID!, $score: Float!, $note: String) { recordGrade(assessmentId: $a, studentId: $s, score: $score, note: $note) { id } }`;
  const POST = `mutation($c: ID!, $body: String!) { createPost(courseId: $c, body: $body) { id } }`;

  it('over graphql-ws: unknown ids, malformed ids, scores out of range, bad enums, empty and oversized strings, roles', async () => {
    const math = ldb.f.course('MATH101');
    const phys = ldb.f.course('PHYS110');
    const midterm = math.assessments.Midterm;
    const student = math.studentIds[0];
    const unknown = '00000000-0000-4000-8000-000000000000';
    const instructor = await ackedSocket(api.wsUrl, await tokenOf('instructor@homeroom.test'));
    const pupil = await ackedSocket(api.wsUrl, await tokenOf('student@homeroom.test'));
    const before = await snapshot(ldb.sql, tables);
    const cases: [string, ReturnType<typeof rawSocket>, string, Record<string, unknown>, string][] = [
      ['unknown assessment', instructor, RECORD_GRADE, { a: unknown, s: student, score: 50 }, 'NOT_FOUND'],
      [
        'a student who is not in the course (unknown id)',
        instructor,
        RECORD_GRADE,
        { a: midterm.id, s: unknown, score: 50 },
        'BAD_USER_INPUT',
      ],
      ['malformed id', instructor, RECORD_GRADE, { a: "1' OR '1'='1", s: student, score: 50 }, 'BAD_USER_INPUT'],
      ['negative score', instructor, RECORD_GRADE, { a: midterm.id, s: student, score: -1 }, 'BAD_USER_INPUT'],
      [
        'score over the maximum',
        instructor,
        RECORD_GRADE,
        { a: midterm.id, s: student, score: midterm.maxScore + 0.5 },
        'BAD_USER_INPUT',
      ],
      ['a student grading', pupil, RECORD_GRADE, { a: midterm.id, s: student, score: 100 }, 'FORBIDDEN'],
      [
        'a grade in a course one does not teach',
        instructor,
        RECORD_GRADE,
        { a: phys.assessments.Midterm.id, s: phys.studentIds[0], score: 1 },
        'FORBIDDEN',
      ],
      ['an empty post', pupil, POST, { c: math.id, body: '' }, 'BAD_USER_INPUT'],
      ['a 10,001-character post', pupil, POST, { c: math.id, body: 'x'.repeat(10_001) }, 'BAD_USER_INPUT'],
      ['a post of zero-width spaces', pupil, POST, { c: math.id, body: '\u200b\u200b' }, 'BAD_USER_INPUT'],
      ['a post in a course one is not in', pupil, POST, { c: phys.id, body: 'hello' }, 'FORBIDDEN'],
      [
        'a vote for an option of another poll',
        pupil,
        `mutation($p: ID!, $o: ID!) { castVote(pollId: $p, optionId: $o) { id } }`,
        { p: math.poll.id, o: Object.values(phys.poll.options)[0] },
        'BAD_USER_INPUT',
      ],
      [
        'deleting an unknown grade',
        instructor,
        `mutation($id: ID!) { deleteGrade(id: $id) { id } }`,
        { id: unknown },
        'NOT_FOUND',
      ],
      [
        'marking someone else’s notification',
        pupil,
        `mutation($id: ID!) { markNotificationRead(id: $id) { id } }`,
        { id: unknown },
        'NOT_FOUND',
      ],
      // Variables that do not coerce. (Regression: over graphql-ws these once came without a code.)
      [
        'a status that is not an enum value (variable)',
        instructor,
        `mutation($s: ID!, $st: ID!, $status: AttendanceStatus!) { recordAttendance(sessionId: $s, studentId: $st, status: $status) { id } }`,
        { s: math.sessions['Lesson 1'], st: student, status: 'SLEEPING' },
        'BAD_USER_INPUT',
      ],
      [
        'a score that is not a number (variable "NaN")',
        instructor,
        RECORD_GRADE,
        { a: midterm.id, s: student, score: 'NaN' },
        'BAD_USER_INPUT',
      ],
    ];
    const outcomes: Record<string, unknown> = {};
    try {
      for (const [what, ws, query, variables] of cases) {
        const { results, error, closed } = await runOperation(ws, query, variables);
        const refusal = error ?? results.flatMap((r) => r.errors ?? []);
        const noData = results.every((r) => !r.data || Object.values(r.data).every((v) => v === null));
        outcomes[what] = closed
          ? `closed ${closed.code}`
          : !noData
            ? 'ran'
            : refusal.map((e) => e.extensions?.code ?? '(no code)');
      }
    } finally {
      instructor.close();
      pupil.close();
    }
    expect(outcomes).toEqual(Object.fromEntries(cases.map(([what, , , , code]) => [what, [code]])));
    expect(await snapshot(ldb.sql, tables)).toEqual(before);
    await watch.alive();
  });

  // Regression: Yoga's HTTP pipeline coded these; graphql-ws sent them raw, without a code.
  it('refusals carry the same extensions.code over graphql-ws as over HTTP', async () => {
    const math = ldb.f.course('MATH101');
    const token = await tokenOf('instructor@homeroom.test');
    const cases = {
      'a variable that does not coerce': [
        RECORD_GRADE,
        { a: math.assessments.Midterm.id, s: math.studentIds[0], score: 'NaN' },
      ],
      'an enum variable that does not exist': [
        `mutation($s: ID!, $st: ID!, $status: AttendanceStatus!) { recordAttendance(sessionId: $s, studentId: $st, status: $status) { id } }`,
        { s: math.sessions['Lesson 1'], st: math.studentIds[0], status: 'SLEEPING' },
      ],
      'a missing required variable': [RECORD_GRADE, { a: math.assessments.Midterm.id, s: math.studentIds[0] }],
      'a syntax error': ['{ me { id ', {}],
      'an unknown field': ['{ me { password } }', {}],
      'no token for a signed-in field': ['{ courses { id } }', {}],
    } as const;
    const http: Record<string, unknown> = {};
    const ws: Record<string, unknown> = {};
    const socket = await ackedSocket(api.wsUrl, token);
    try {
      for (const [what, [query, variables]] of Object.entries(cases)) {
        const anonymous = what.startsWith('no token');
        http[what] = ((await gql(api.url, query, variables, anonymous ? null : token)).errors ?? []).map(
          (e) => e.extensions?.code ?? '(no code)',
        );
        if (anonymous) continue; // graphql-ws has no anonymous sockets
        const { results, error } = await runOperation(socket, query, variables);
        ws[what] = (error ?? results.flatMap((r) => r.errors ?? [])).map((e) => e.extensions?.code ?? '(no code)');
      }
    } finally {
      socket.close();
    }
    expect(http).toEqual({
      'a variable that does not coerce': ['BAD_USER_INPUT'],
      'an enum variable that does not exist': ['BAD_USER_INPUT'],
      'a missing required variable': ['BAD_USER_INPUT'],
      'a syntax error': ['GRAPHQL_PARSE_FAILED'],
      'an unknown field': ['GRAPHQL_VALIDATION_FAILED'],
      'no token for a signed-in field': ['UNAUTHENTICATED'],
    });
    const { 'no token for a signed-in field': _anonymous, ...overWs } = http;
    expect(ws).toEqual(overWs);
  });

  it('over HTTP: an enum literal that does not exist is a validation error (400); a 2 MB string is refused by length', async () => {
    const token = await tokenOf('instructor@homeroom.test');
    const math = ldb.f.course('MATH101');
    const before = await snapshot(ldb.sql, tables);
    const badEnum = await gql(
      api.url,
      `mutation { recordAttendance(sessionId: "${math.sessions['Lesson 1']}", studentId: "${math.studentIds[0]}", status: SLEEPING) { id } }`,
      {},
      token,
    );
    expect(badEnum.status).toBe(400);
    expect(codes(badEnum as never)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const huge = await gql(api.url, POST, { c: math.id, body: 'y'.repeat(2_000_000) }, token);
    expect(codes(huge as never)).toEqual(['BAD_USER_INPUT']);
    expect(await snapshot(ldb.sql, tables)).toEqual(before);
    await watch.alive();
  });

  it('SQL-looking and odd strings are stored and returned verbatim (over graphql-ws)', async () => {
    const math = ldb.f.course('MATH101');
    const ws = await ackedSocket(api.wsUrl, await tokenOf('student@homeroom.test'));
    const hostile = [
      "Robert'); DROP TABLE posts;--",
      "' OR 1=1 --",
      '$1 $$ \\x00 %s ${jndi:ldap://x} <script>alert(1)</script>',
      'Ünïcödé ✓ 学校 🎒',
    ];
    try {
      for (const body of hostile) {
        const { results } = await runOperation(
          ws,
          `mutation($c: ID!, $body: String!) { createPost(courseId: $c, body: $body) { id body } }`,
          { c: math.id, body },
        );
        const post = results[0].data.createPost;
        expect(post.body).toBe(body);
        expect((await ldb.sql`select body from posts where id = ${post.id}`)[0].body).toBe(body);
      }
      expect((await ldb.sql`select count(*)::int as n from posts`)[0].n).toBeGreaterThan(hostile.length);
      expect((await ldb.sql`select role from users where email = 'student@homeroom.test'`)[0].role).toBe('STUDENT');
    } finally {
      ws.close();
    }
    await watch.alive();
  });
});

describe('huge and deep documents', () => {
  it('over graphql-ws: a document over the token limit is answered with an error; the socket stays', async () => {
    const ws = await ackedSocket(api.wsUrl, await tokenOf('student@homeroom.test'));
    try {
      const query = `{ ${'__typename '.repeat(5000)}}`; // 5002 tokens, 55 KB (under the 64 KB frame cap)
      const { error, closed } = await runOperation(ws, query);
      expect(closed).toBeNull();
      expect(error?.[0].message).toMatch(/Token limit of 4000 exceeded/);
      const { results } = await runOperation(ws, '{ __typename }');
      expect(results).toEqual([{ data: { __typename: 'Query' } }]);
    } finally {
      ws.close();
    }
    await watch.alive();
  });

  it('over HTTP: variables nested 100,000 deep and a 1,000-deep selection are refused with 400; the server keeps serving', async () => {
    const token = await tokenOf('student@homeroom.test');
    let deepJson = '1';
    for (let i = 0; i < 100_000; i++) deepJson = `[${deepJson}]`;
    const deepVariables = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: `{"query": "query($c: ID!) { course(id: $c) { id } }", "variables": {"c": ${deepJson}}}`,
    });
    expect(deepVariables.status).toBeGreaterThanOrEqual(400);
    expect(deepVariables.status).toBeLessThan(500);
    let selection = 'id';
    for (let i = 0; i < 1000; i++) selection = `posts(first: 1) { edges { node { course { ${selection} } } } }`;
    const deepQuery = await gql(api.url, `{ courses { ${selection} } }`, {}, token);
    expect(deepQuery.status).toBe(400);
    expect(codes(deepQuery as never)).toEqual(['BAD_USER_INPUT']); // over the token limit
    expect((await gql(api.url, '{ __typename }')).data).toEqual({ __typename: 'Query' });
    await watch.alive();
  });
});

describe('connection initialisation timeout', () => {
  it('a socket that never sends connection_init is closed 4408 after 10 s (it was opened before the other tests)', async () => {
    const closed = await silent.ws.closed(20_000);
    expect(closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(Date.now() - silent.openedAt).toBeGreaterThanOrEqual(9_900);
    await watch.alive();
  });
});
