/**
 * The Idempotency-Key contract against real Postgres: a replay answers the first result and
 * applies nothing twice — sequentially, concurrently, while the first is still running, and across
 * two instances; another operation under the same key is refused; refusals keep nothing.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, count, snapshot, startApi, writableTables } from '../../test/api/api';
import { startTestApp, type TestApp } from '../../test/app';
import { waitFor } from '../../test/live/wait';
import { pruneKeys } from './store';

const SAM = 'student@homeroom.test';
const TEACHER = 'instructor@homeroom.test';

const CREATE_POST = `mutation CreatePost($courseId: ID!, $body: String!) {
  createPost(courseId: $courseId, body: $body) { id body author { id } }
}`;

let api: ApiHarness;
let sql: postgres.Sql;
let mathId: string;

beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
  mathId = api.f.course('MATH101').id;
});
afterAll(() => api?.stop());

type Answer = {
  status: number;
  replayed: boolean;
  body: { data?: any; errors?: { extensions?: { code?: string } }[] };
};

/** One mutation with an Idempotency-Key, in-process or to a started instance's URL. */
async function send(
  query: string,
  variables: Record<string, unknown>,
  options: { key?: string; email?: string; url?: string },
): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
    authorization: `Bearer ${await api.tokenFor(options.email ?? SAM)}`,
  };
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  const init = { method: 'POST', headers, body: JSON.stringify({ query, variables }) };
  const response = options.url ? await fetch(options.url, init) : await api.fetch('/graphql', init);
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    body: (await response.json()) as Answer['body'],
  };
}

const codesOf = (answer: Answer) => (answer.body.errors ?? []).map((e) => e.extensions?.code);
const postsWith = async (body: string) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from posts where body = ${body}`)[0].n;
const outboxFor = async (body: string) =>
  (
    await sql<{ n: number }[]>`
      select count(*)::int as n from outbox o join posts p on p.id = o.entity_id where p.body = ${body}`
  )[0].n;

describe('a replay with the same key', () => {
  it('answers the first result and applies nothing twice', async () => {
    const variables = { courseId: mathId, body: 'once, however often sent' };
    const first = await send(CREATE_POST, variables, { key: 'k-sequential' });
    const second = await send(CREATE_POST, variables, { key: '"k-sequential"' }); // the draft's quoted form
    expect(first.body.errors).toBeUndefined();
    expect(second.body).toEqual(first.body);
    expect([first.replayed, second.replayed]).toEqual([false, true]);
    expect(await postsWith(variables.body)).toBe(1);
    expect(await outboxFor(variables.body)).toBe(1);
  });

  it('is recognised whatever the whitespace and the order of the variables', async () => {
    const first = await send(CREATE_POST, { courseId: mathId, body: 'reformatted' }, { key: 'k-format' });
    const again = await send(
      CREATE_POST.replace(/\s+/g, '  '),
      { body: 'reformatted', courseId: mathId },
      { key: 'k-format' },
    );
    expect(again.replayed).toBe(true);
    expect(again.body).toEqual(first.body);
    expect(await postsWith('reformatted')).toBe(1);
  });

  it('without the header, the same mutation applies each time (the control)', async () => {
    const variables = { courseId: mathId, body: 'sent twice without a key' };
    await send(CREATE_POST, variables, {});
    await send(CREATE_POST, variables, {});
    expect(await postsWith(variables.body)).toBe(2);
  });

  it('holds for ten concurrent duplicates: one row, ten identical answers', async () => {
    const variables = { courseId: mathId, body: 'ten at once' };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => send(CREATE_POST, variables, { key: 'k-concurrent' })),
    );
    expect(answers.every((a) => a.body.errors === undefined)).toBe(true);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(await postsWith(variables.body)).toBe(1);
    expect(await outboxFor(variables.body)).toBe(1);
  });

  it('is per caller: another user may use the same key for their own action', async () => {
    const variables = { courseId: mathId, body: 'same key, two people' };
    const sam = await send(CREATE_POST, variables, { key: 'k-shared', email: SAM });
    const teacher = await send(CREATE_POST, variables, { key: 'k-shared', email: TEACHER });
    expect(teacher.replayed).toBe(false);
    expect(teacher.body.data.createPost.id).not.toBe(sam.body.data.createPost.id);
    expect(await postsWith(variables.body)).toBe(2);
  });
});

describe('the same key for another operation', () => {
  it('is refused with IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    await send(CREATE_POST, { courseId: mathId, body: 'the first use' }, { key: 'k-reused' });
    const before = await snapshot(sql, await writableTables(sql));
    const other = await send(CREATE_POST, { courseId: mathId, body: 'another post' }, { key: 'k-reused' });
    expect(codesOf(other)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(other.status).toBe(422);
    expect(await snapshot(sql, await writableTables(sql))).toEqual(before);
  });
});

describe('refusals', () => {
  const RECORD_GRADE = `mutation($assessmentId: ID!, $studentId: ID!, $score: Float!) {
    recordGrade(assessmentId: $assessmentId, studentId: $studentId, score: $score) { id score }
  }`;

  it('keep nothing: the key answers again once the operation can succeed', async () => {
    const math = api.f.course('MATH101');
    const midterm = math.assessments.Midterm;
    const variables = { assessmentId: midterm.id, studentId: api.f.user(SAM), score: midterm.maxScore + 1 };
    const refused = await send(RECORD_GRADE, variables, { key: 'k-refused', email: TEACHER });
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(await count(sql, 'idempotency_keys')).toBeGreaterThan(0);
    expect((await sql`select 1 from idempotency_keys where key = 'k-refused'`).length).toBe(0);
    const fixed = await send(RECORD_GRADE, { ...variables, score: 42 }, { key: 'k-refused', email: TEACHER });
    expect(fixed.body.data.recordGrade.score).toBe(42);
  });

  it('make a keyed mutation all or nothing: a failing second field undoes the first', async () => {
    const both = `mutation($courseId: ID!) {
      a: createPost(courseId: $courseId, body: "half of a pair") { id }
      b: createPost(courseId: $courseId, body: "") { id }
    }`;
    const answer = await send(both, { courseId: mathId }, { key: 'k-pair' });
    expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.body.data).toBeNull();
    expect(await postsWith('half of a pair')).toBe(0);
  });

  it('a malformed key is BAD_USER_INPUT and runs nothing', async () => {
    const answer = await send(CREATE_POST, { courseId: mathId, body: 'bad key' }, { key: 'x'.repeat(256) });
    expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
    expect(await postsWith('bad key')).toBe(0);
  });

  it('sign-in is exempt: its answer (a credential) is never stored', async () => {
    const login = `mutation { login(email: "${SAM}", password: "homeroom") { token } }`;
    const first = await send(login, {}, { key: 'k-login' });
    expect(first.body.data.login.token).toEqual(expect.any(String));
    expect((await sql`select 1 from idempotency_keys where key = 'k-login'`).length).toBe(0);
  });
});

describe('while the first request is still running', () => {
  /** Holds `posts` so every createPost waits inside its transaction, until `release()`. */
  async function holdPosts() {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const done = sql.begin(async (tx) => {
      await tx`lock table posts in share mode`;
      locked();
      await released;
    });
    await isLocked;
    return { release: () => (release(), done) };
  }
  const waitingOnLocks = async (n: number) =>
    waitFor(
      async () =>
        (
          await sql<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`
        )[0].n >= n,
      { what: `${n} sessions waiting on a lock` },
    );

  it('a duplicate waits for it and answers its result', async () => {
    const variables = { courseId: mathId, body: 'slow first request' };
    const hold = await holdPosts();
    const first = send(CREATE_POST, variables, { key: 'k-inflight' });
    await waitingOnLocks(1); // the first holds its key and waits for `posts`
    const second = send(CREATE_POST, variables, { key: 'k-inflight' });
    await waitingOnLocks(2); // the second waits for the first's key
    await hold.release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.body).toEqual(a.body);
    expect(b.replayed).toBe(true);
    expect(await postsWith(variables.body)).toBe(1);
  });

  it('past IDEMPOTENCY_WAIT_MS a duplicate is told to retry (IDEMPOTENCY_KEY_IN_USE), and the retry replays', async () => {
    const impatient = await startTestApp({ databaseUrl: api.databaseUrl, env: { IDEMPOTENCY_WAIT_MS: '100' } });
    try {
      const variables = { courseId: mathId, body: 'an impatient duplicate' };
      const hold = await holdPosts();
      const first = send(CREATE_POST, variables, { key: 'k-impatient' });
      await waitingOnLocks(1);
      const second = await send(CREATE_POST, variables, { key: 'k-impatient', url: impatient.url });
      expect(codesOf(second)).toEqual(['IDEMPOTENCY_KEY_IN_USE']);
      expect(second.status).toBe(409);
      await hold.release();
      const a = await first;
      const retry = await send(CREATE_POST, variables, { key: 'k-impatient', url: impatient.url });
      expect(retry.body).toEqual(a.body);
      expect(await postsWith(variables.body)).toBe(1);
    } finally {
      await impatient.stop();
    }
  });
});

describe('two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestApp({ databaseUrl: api.databaseUrl }),
      startTestApp({ databaseUrl: api.databaseUrl }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('share the keys: concurrent duplicates spread over both apply once', async () => {
    const variables = { courseId: mathId, body: 'one post, two instances' };
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(CREATE_POST, variables, { key: 'k-cluster', url: [a, b][i % 2].url })),
    );
    expect(new Set(answers.map((x) => JSON.stringify(x.body))).size).toBe(1);
    expect(answers[0].body.errors).toBeUndefined();
    expect(await postsWith(variables.body)).toBe(1);
    const later = await send(CREATE_POST, variables, { key: 'k-cluster', url: b.url });
    expect(later.replayed).toBe(true);
  });
});

describe('expiry', () => {
  it('a key older than the TTL is pruned, and until then counts as unused', async () => {
    const variables = { courseId: mathId, body: 'a day later' };
    await send(CREATE_POST, variables, { key: 'k-old' });
    await sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = 'k-old'`;
    const again = await send(CREATE_POST, variables, { key: 'k-old' });
    expect(again.replayed).toBe(false);
    expect(await postsWith(variables.body)).toBe(2);

    await sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = 'k-old'`;
    expect(await pruneKeys(api.app.db, 86_400)).toBe(1);
    expect((await sql`select 1 from idempotency_keys where key = 'k-old'`).length).toBe(0);
  });
});
