/**
 * Issue 18.5 — bad input gets one documented shape on every transport (README, "Errors"): an
 * out-of-range cursor, a query over a limit, a `first` out of range are BAD_USER_INPUT over HTTP,
 * graphql-ws and SSE alike; a limit refusal is 400 whatever the client accepts, names its limit
 * and is not dressed up as a syntax error. Each case failed before its fix.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GRADE_CHANGED, gql, NOTIFICATION_RECEIVED, sseSubscribe, UPDATES, useLiveApp } from '../../test/live';
import { ackedSocket, runOperation } from '../../test/transport';

const live = useLiveApp();
let token: string;
beforeAll(async () => {
  token = await live.ldb.token('student@homeroom.test');
});

type Errors = { message: string; extensions?: Record<string, unknown> }[] | undefined;
const codes = (errors: Errors) => (errors ?? []).map((e) => e.extensions?.code ?? '(no code)');

/** A POST that accepts what the client says, with the status and the body. */
async function post(query: string, variables: Record<string, unknown>, accept: string) {
  const response = await fetch(live.api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Errors } };
}

/** What one operation answers over graphql-ws: the error codes of its `error` message or of its first result. */
async function overWs(query: string, variables: Record<string, unknown> = {}) {
  const ws = await ackedSocket(live.api.wsUrl, token);
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
  const sse = await sseSubscribe(live.api.url, query, variables, token);
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
      const { errors } = await gql(live.api.url, UPDATES, { after }, token);
      expect({ after, codes: codes(errors), field: errors?.[0]?.extensions?.field }).toEqual({
        after,
        codes: ['BAD_USER_INPUT'],
        field: 'after',
      });
    }
  });

  it('as `after` of a subscription over graphql-ws and SSE → BAD_USER_INPUT', async () => {
    const courseId = live.ldb.f.course('MATH101').id;
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
    const { data, errors } = await gql(
      live.api.url,
      UPDATES,
      { after: '9223372036854775807.9223372036854775807' },
      token,
    );
    expect(errors).toBeUndefined();
    expect(data.updates.events).toEqual([]);
  });
});

describe('query limits: one shape on every transport', () => {
  const overTokens = `{ ${'__typename '.repeat(4001)}}`;
  let deep = 'id';
  for (let i = 0; i < 12; i++) deep = `posts(first: 1) { edges { node { course { ${deep} } } } }`;
  const overDepth = `{ courses { ${deep} } }`;

  it('over HTTP: 400 and BAD_USER_INPUT whether the client accepts application/json or application/graphql-response+json; no "Syntax Error"', async () => {
    const seen: Record<string, unknown> = {};
    for (const [limit, query] of [
      ['tokens', overTokens],
      ['depth', overDepth],
    ]) {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const { status, body } = await post(query, {}, accept);
        seen[`${limit}, ${accept}`] = {
          status,
          codes: codes(body.errors),
          data: 'data' in body,
          syntaxError: /Syntax Error/.test(body.errors?.[0].message ?? ''),
        };
      }
    }
    const refused = { status: 400, codes: ['BAD_USER_INPUT'], data: false, syntaxError: false };
    expect(seen).toEqual({
      'tokens, application/json': refused,
      'tokens, application/graphql-response+json': refused,
      'depth, application/json': refused,
      'depth, application/graphql-response+json': refused,
    });
  });

  // The GraphQL-over-HTTP spec: a request error is 400 for application/graphql-response+json and
  // 200 for legacy application/json clients. Limits are 400 for both (README, Errors).
  it('over HTTP: syntax and validation errors follow the GraphQL-over-HTTP spec; a variable that does not coerce is 400 like a limit', async () => {
    const seen: Record<string, unknown> = {};
    for (const [what, query] of [
      ['syntax', '{ me { id '],
      ['validation', '{ me { password } }'],
      ['variable', 'query($n: Int) { notifications(first: $n) { edges { cursor } } }'],
    ]) {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const { status, body } = await post(query, { n: 'many' }, accept);
        seen[`${what}, ${accept}`] = [status, ...codes(body.errors)];
      }
    }
    expect(seen).toEqual({
      'syntax, application/json': [200, 'GRAPHQL_PARSE_FAILED'],
      'syntax, application/graphql-response+json': [400, 'GRAPHQL_PARSE_FAILED'],
      'validation, application/json': [200, 'GRAPHQL_VALIDATION_FAILED'],
      'validation, application/graphql-response+json': [400, 'GRAPHQL_VALIDATION_FAILED'],
      'variable, application/json': [400, 'BAD_USER_INPUT'],
      'variable, application/graphql-response+json': [400, 'BAD_USER_INPUT'],
    });
  });

  it('over graphql-ws: the same codes and messages as over HTTP; a syntax error is GRAPHQL_PARSE_FAILED', async () => {
    const tokens = await overWs(overTokens);
    expect(tokens.codes).toEqual(['BAD_USER_INPUT']);
    expect(tokens.messages[0]).toMatch(/^Token limit of 4000 exceeded/);
    const depth = await overWs(overDepth);
    expect(depth.codes).toEqual(['BAD_USER_INPUT']);
    expect(depth.messages[0]).toMatch(/^Query (depth|Cost) limit of \d+ exceeded/);
    const syntax = await overWs('{ me { id ');
    expect(syntax.codes).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(syntax.messages[0]).toMatch(/^Syntax Error/);
    const http = await post(overTokens, {}, 'application/graphql-response+json');
    expect(http.body.errors?.[0].message).toBe(tokens.messages[0]);
  });
});

describe('`first`: one range, one refusal', () => {
  it('updates, notifications and a course feed refuse 0, negative and over-the-maximum with BAD_USER_INPUT naming `first`', async () => {
    const courseId = live.ldb.f.course('MATH101').id;
    const { data } = await gql(live.api.url, '{ liveCursor }', {}, token);
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
        const { errors } = await gql(live.api.url, query, { ...variables, first }, token);
        seen[`${name}(first: ${first})`] = [...codes(errors), errors?.[0]?.extensions?.field, errors?.[0]?.message];
      }
      const ok = await gql(live.api.url, query, { ...variables, first: max }, token);
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
