/**
 * Per-user write limits (server/write-limits/table.ts), against real Postgres and Redis: past its
 * limit a write is refused TOO_MANY_REQUESTS with a retry hint and writes nothing; each root
 * mutation counts one (markAllPresent too, aliases each); replays of a keyed mutation are free;
 * and the count is one across two instances sharing Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  startRedisServer,
  startTestApp,
  type TestApp,
  type TestDatabase,
  type TestRedis,
} from '../../test';
import {
  ADMIN,
  type ApiHarness,
  codes,
  SAM,
  snapshot,
  startApi,
  TEACHER,
  TEACHER2,
  writableTables,
} from '../../test/api/api';
import { gql, gqlOk } from '../../test/live';
import { schema } from '../schema';
import { WRITE_LIMIT_NAMES, WRITE_LIMITS, type WriteLimitName, writeLimitOf } from './table';

const LIMIT = 3;
const WINDOW = 600; // long enough that no window ends during a test

const CREATE_POST = `mutation($courseId: ID!, $body: String!) { createPost(courseId: $courseId, body: $body) { id } }`;
const CREATE_COMMENT = `mutation($postId: ID!, $body: String!) { createComment(postId: $postId, body: $body) { id } }`;
const CAST_VOTE = `mutation($pollId: ID!, $optionId: ID!) { castVote(pollId: $pollId, optionId: $optionId) { id } }`;
const RECORD_GRADE = `mutation($a: ID!, $s: ID!, $score: Float!) { recordGrade(assessmentId: $a, studentId: $s, score: $score) { id } }`;
const RECORD_ATTENDANCE = `mutation($session: ID!, $s: ID!, $status: AttendanceStatus!) { recordAttendance(sessionId: $session, studentId: $s, status: $status) { id } }`;
const MARK_ALL_PRESENT = `mutation($session: ID!) { markAllPresent(sessionId: $session) { id } }`;

describe('the table of limits', () => {
  it('names only mutations the schema has, each in one limit', () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields());
    const listed = WRITE_LIMIT_NAMES.flatMap((name) => [...WRITE_LIMITS[name].mutations]);
    expect(mutations).toEqual(expect.arrayContaining(listed));
    expect(new Set(listed).size).toBe(listed.length);
    expect(writeLimitOf('markAllPresent')).toBe('attendance');
    expect(writeLimitOf('login')).toBeUndefined();
  });
});

describe('one instance, counted in Postgres', () => {
  let api: ApiHarness;
  let tables: string[];
  beforeAll(async () => {
    api = await startApi(
      Object.fromEntries(WRITE_LIMIT_NAMES.map((name) => [`WRITE_LIMIT_${name.toUpperCase()}`, `${LIMIT}/${WINDOW}`])),
    );
    // The counters themselves change with every attempt, refused ones included; sessions note when they were last seen.
    tables = (await writableTables(api.sql)).filter((t) => t !== 'rate_limits' && t !== 'sessions');
  });
  afterAll(() => api?.stop());

  const math = () => api.f.course('MATH101');
  const student = (i: number) => math().studentIds[i];
  // Each case: who writes, and the i-th write of that kind (all valid, so only the limit can refuse).
  type Write = [query: string, variables: Record<string, unknown>];
  const cases: { name: WriteLimitName; who: string; write: (i: number) => Write }[] = [
    {
      name: 'posts',
      who: SAM,
      write: (i: number) => [CREATE_POST, { courseId: math().id, body: `limited post ${i}` }],
    },
    {
      name: 'comments',
      who: SAM,
      write: (i: number) => [CREATE_COMMENT, { postId: math().posts.welcome, body: `limited comment ${i}` }],
    },
    {
      name: 'votes',
      who: SAM,
      write: (i: number) => {
        const options = Object.values(math().poll.options);
        return [CAST_VOTE, { pollId: math().poll.id, optionId: options[i % options.length] }];
      },
    },
    {
      name: 'grades',
      who: TEACHER,
      write: (i: number) => [RECORD_GRADE, { a: math().assessments['Quiz 1'].id, s: student(i), score: 7 }],
    },
    {
      name: 'attendance',
      who: TEACHER,
      write: (i: number) => [
        RECORD_ATTENDANCE,
        { session: math().sessions['Lesson 1'], s: student(i), status: 'LATE' },
      ],
    },
  ];

  it.each(cases)('$name: the write past the limit is refused with a retry hint and writes nothing', async (c) => {
    const token = await api.tokenFor(c.who);
    for (let i = 0; i < LIMIT; i++) await api.ok(...c.write(i), token);
    const before = await snapshot(api.sql, tables);
    const error = await api.refused(...c.write(LIMIT), token, 'TOO_MANY_REQUESTS');
    expect(error.message).toMatch(new RegExp(`^Too many ${WRITE_LIMITS[c.name].what}: try again in \\d+ s$`));
    expect(error.extensions).toMatchObject({ limit: c.name });
    expect(error.extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(WINDOW - 60);
    expect(error.extensions!.retryAfterSeconds).toBeLessThanOrEqual(WINDOW);
    expect(await snapshot(api.sql, tables)).toEqual(before);
  });

  it('each user has their own count: another student still posts', async () => {
    const token = await api.tokenFor('student01@homeroom.test');
    await api.ok(CREATE_POST, { courseId: math().id, body: 'a classmate is not limited by Sam' }, token);
  });

  it('markAllPresent is one write however many records it marks', async () => {
    const token = await api.tokenFor(TEACHER2);
    const hist = api.f.course('HIST201');
    await api.ok(MARK_ALL_PRESENT, { session: hist.sessions['Lesson 1'] }, token); // every student of HIST201
    for (let i = 0; i < LIMIT - 1; i++)
      await api.ok(
        RECORD_ATTENDANCE,
        { session: hist.sessions['Lesson 2'], s: hist.studentIds[i], status: 'ABSENT' },
        token,
      );
    await api.refused(MARK_ALL_PRESENT, { session: hist.sessions['Lesson 3'] }, token, 'TOO_MANY_REQUESTS');
  });

  it('two aliased writes in one document count two; the one past the limit alone is refused', async () => {
    const token = await api.tokenFor('student02@homeroom.test');
    const three = `mutation($c: ID!) {
      a: createPost(courseId: $c, body: "alias a") { id }
      b: createPost(courseId: $c, body: "alias b") { id }
      c: createPost(courseId: $c, body: "alias c") { id }
      d: createPost(courseId: $c, body: "alias d") { id }
    }`;
    const result = await api.gql(three, { c: math().id }, token);
    expect(codes(result)).toEqual(['TOO_MANY_REQUESTS']);
    expect(result.errors![0].path).toEqual(['d']);
    const [{ n }] = await api.sql<{ n: number }[]>`select count(*)::int as n from posts where body like 'alias %'`;
    expect(n).toBe(LIMIT);
  });

  it('a caller refused by authorization spends nothing', async () => {
    const token = await api.tokenFor('student03@homeroom.test');
    for (let i = 0; i < LIMIT + 2; i++)
      await api.refused(
        RECORD_GRADE,
        { a: math().assessments['Quiz 1'].id, s: student(3), score: 1 },
        token,
        'FORBIDDEN',
      );
    const [{ n }] = await api.sql<
      { n: number }[]
    >`select count(*)::int as n from rate_limits where key like '%:grades:%'`;
    expect(n).toBe(1); // the teacher's, from the case above
  });

  it('a replayed Idempotency-Key is not counted, and a refused keyed write leaves its key free', async () => {
    const token = await api.tokenFor('student04@homeroom.test');
    const send = async (key: string, body: string) => {
      const response = await api.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
        body: JSON.stringify({ query: CREATE_POST, variables: { courseId: math().id, body } }),
      });
      return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    };
    for (let i = 0; i < LIMIT; i++) expect((await send(`k${i}`, `keyed ${i}`)).errors).toBeUndefined();
    // Every replay answers the first result, past the limit too: nothing runs, nothing is counted.
    for (let i = 0; i < LIMIT; i++) expect((await send(`k${i}`, `keyed ${i}`)).errors).toBeUndefined();
    const refused = await send('k-over', 'keyed over');
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['TOO_MANY_REQUESTS']);
    const [{ n }] = await api.sql<
      { n: number }[]
    >`select count(*)::int as n from idempotency_keys where key = 'k-over'`;
    expect(n).toBe(0);
  });
});

describe('two instances sharing Redis', () => {
  let database: TestDatabase;
  let redis: TestRedis;
  let a: TestApp;
  let b: TestApp;
  const env = { WRITE_LIMIT_POSTS: `4/${WINDOW}` };
  beforeAll(async () => {
    [database, redis] = await Promise.all([createTestDatabase({ seeded: true }), startRedisServer()]);
    a = await startTestApp({ databaseUrl: database.url, redisUrl: redis.url, env });
    b = await startTestApp({ databaseUrl: database.url, redisUrl: redis.url, env });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await redis?.stop();
    await database?.drop();
  });

  const login = async (email: string) =>
    (await gqlOk(a.url, `mutation($e: String!) { login(email: $e, password: "homeroom") { token } }`, { e: email }))
      .login.token as string;
  const mathId = async (token: string) =>
    ((await gqlOk(a.url, '{ courses { id code } }', {}, token)).courses as { id: string; code: string }[]).find(
      (c) => c.code === 'MATH101',
    )!.id;

  it('writes on A and B add up to one count; past it either instance refuses', async () => {
    const token = await login(SAM);
    const courseId = await mathId(token);
    for (const [i, app] of [a, b, a, b].entries())
      await gqlOk(app.url, CREATE_POST, { courseId, body: `shared ${i}` }, token);
    for (const app of [a, b]) {
      const refused = await gql(app.url, CREATE_POST, { courseId, body: 'one too many' }, token);
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['TOO_MANY_REQUESTS']);
      expect(refused.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
    }
    // Counted in Redis, not in Postgres.
    const client = new Redis(redis.url);
    try {
      expect(await client.keys('homeroom:write:posts:*')).toHaveLength(1);
    } finally {
      client.disconnect();
    }
    const admin = await login(ADMIN);
    await gqlOk(b.url, CREATE_POST, { courseId, body: 'the admin has a count of their own' }, admin);
  });

  it('while Redis is down each instance counts for itself: writes go on', async () => {
    const token = await login('student01@homeroom.test');
    const courseId = await mathId(token);
    await redis.stop();
    for (let i = 0; i < 4; i++) await gqlOk(a.url, CREATE_POST, { courseId, body: `during the outage ${i}` }, token);
    const refused = await gql(a.url, CREATE_POST, { courseId, body: 'one too many on A' }, token);
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['TOO_MANY_REQUESTS']);
  });
});
