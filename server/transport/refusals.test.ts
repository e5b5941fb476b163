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
