/**
 * Issue 18.5 — bad input gets one documented shape on every transport (README, "Errors"): an
 * out-of-range cursor, a query over a limit, a `first` out of range are BAD_USER_INPUT over HTTP,
 * graphql-ws and SSE alike; a limit refusal is 400 whatever the client accepts, names its limit
 * and is not dressed up as a syntax error. Each case failed before its fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GRADE_CHANGED,
  gql,
  type LiveDatabase,
  NOTIFICATION_RECEIVED,
  openLiveDatabase,
  sseSubscribe,
  startTestApp,
  type TestApp,
  UPDATES,
} from '../../test/live';
import { ackedSocket, runOperation } from '../../test/transport';

let ldb: LiveDatabase;
let api: TestApp;
let token: string;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  api = await startTestApp({ databaseUrl: ldb.url });
  token = await ldb.token('student@homeroom.test');
});
afterAll(async () => {
  await api?.stop();
  await ldb?.close();
});

type Errors = { message: string; extensions?: Record<string, unknown> }[] | undefined;
const codes = (errors: Errors) => (errors ?? []).map((e) => e.extensions?.code ?? '(no code)');

/** What one operation answers over graphql-ws: the error codes of its `error` message or of its first result. */
async function overWs(query: string, variables: Record<string, unknown> = {}) {
  const ws = await ackedSocket(api.wsUrl, token);
  try {
    const ran = runOperation(ws, query, variables);
    // A subscription that started keeps running: its first result (or error) is the answer.
    await ws.messages.until(
      () => ws.messages.items.some((m) => m.type === 'next' || m.type === 'error'),
      15_000,
      'an answer',
    );
    ran.catch(() => {});
    const answer = ws.messages.items.find((m) => m.type === 'next' || m.type === 'error');
    const errors: Errors = answer.type === 'error' ? answer.payload : answer.payload.errors;
    return { codes: codes(errors), messages: (errors ?? []).map((e) => e.message) };
  } finally {
    ws.close();
  }
}

/** The first result of a subscription over SSE. */
async function overSse(query: string, variables: Record<string, unknown>) {
  const sse = await sseSubscribe(api.url, query, variables, token);
  try {
    await sse.events.until(() => sse.events.items.length > 0 || sse.isEnded(), 15_000, 'a first SSE result');
    return codes(sse.events.items[0]?.errors);
  } finally {
    await sse.close();
  }
}

// Digits and a dot like a cursor, but past what its two parts (Postgres bigints) can hold.
const OUT_OF_RANGE = ['1.9223372036854775808', '9223372036854775808.1', '99999999999999999999.1'];

describe('cursors out of range', () => {
  it('updates(after:) over HTTP → BAD_USER_INPUT naming `after`, not INTERNAL_SERVER_ERROR', async () => {
    for (const after of OUT_OF_RANGE) {
      const { errors } = await gql(api.url, UPDATES, { after }, token);
      expect({ after, codes: codes(errors), field: errors?.[0]?.extensions?.field }).toEqual({
        after,
        codes: ['BAD_USER_INPUT'],
        field: 'after',
      });
    }
  });

  it('as `after` of a subscription over graphql-ws and SSE → BAD_USER_INPUT', async () => {
    const courseId = ldb.f.course('MATH101').id;
    for (const after of OUT_OF_RANGE) {
      expect({ after, ws: (await overWs(GRADE_CHANGED, { courseId, after })).codes }).toEqual({
        after,
        ws: ['BAD_USER_INPUT'],
      });
      expect({ after, sse: await overSse(NOTIFICATION_RECEIVED, { after }) }).toEqual({
        after,
        sse: ['BAD_USER_INPUT'],
      });
    }
  });

  it('the largest cursor Postgres can hold is accepted (nothing after it yet)', async () => {
    const { data, errors } = await gql(api.url, UPDATES, { after: '9223372036854775807.9223372036854775807' }, token);
    expect(errors).toBeUndefined();
    expect(data.updates.events).toEqual([]);
  });
});

describe('`first`: one range, one refusal', () => {
  it('updates, notifications and a course feed refuse 0, negative and over-the-maximum with BAD_USER_INPUT naming `first`', async () => {
    const courseId = ldb.f.course('MATH101').id;
    const { data } = await gql(api.url, '{ liveCursor }', {}, token);
    const lists = {
      updates: [UPDATES, { after: data.liveCursor }, 1000],
      notifications: ['query($first: Int) { notifications(first: $first) { edges { cursor } } }', {}, 100],
      posts: [
        'query($c: ID!, $first: Int) { course(id: $c) { posts(first: $first) { edges { cursor } } } }',
        { c: courseId },
        100,
      ],
    } as const;
    const seen: Record<string, unknown> = {};
    for (const [name, [query, variables, max]] of Object.entries(lists)) {
      for (const first of [0, -1, max + 1]) {
        const { errors } = await gql(api.url, query, { ...variables, first }, token);
        seen[`${name}(first: ${first})`] = [...codes(errors), errors?.[0]?.extensions?.field, errors?.[0]?.message];
      }
      const ok = await gql(api.url, query, { ...variables, first: max }, token);
      expect(ok.errors).toBeUndefined();
    }
    expect(seen).toEqual({
      'updates(first: 0)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 1000'],
      'updates(first: -1)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 1000'],
      'updates(first: 1001)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 1000'],
      'notifications(first: 0)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 100'],
      'notifications(first: -1)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 100'],
      'notifications(first: 101)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 100'],
      'posts(first: 0)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 100'],
      'posts(first: -1)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 100'],
      'posts(first: 101)': ['BAD_USER_INPUT', 'first', 'first must be between 1 and 100'],
    });
  });
});
