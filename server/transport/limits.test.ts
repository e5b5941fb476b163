/**
 * Issue 6.1 — limits, on a real API over real sockets: query depth/cost/aliases/tokens/directives,
 * the WebSocket frame size, sockets per user, operations per socket, login rate limits (per account
 * and per address, counted in Postgres), CSRF prevention, the WebSocket Origin allowlist and CORS.
 * Every refusal is checked with its code, every limit also from just under it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GRADE_CHANGED,
  gql,
  LIVE_CURSOR,
  type LiveDatabase,
  openLiveDatabase,
  rawSocket,
  startTestApp,
  type TestApp,
} from '../../test/live';
import { ackedSocket, answerOrClose, type GradeWatch, initResult, upgrade, watchGrades } from '../../test/transport';

const WEB = 'http://web.test:3000';
const ENV = {
  WS_MAX_SOCKETS_PER_USER: '2',
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
  WS_MAX_MESSAGE_BYTES: '4096',
  LOGIN_ATTEMPTS_PER_ACCOUNT: '3',
  LOGIN_ATTEMPTS_PER_ACCOUNT_TOTAL: '5',
  LOGIN_ATTEMPTS_PER_ADDRESS: '6',
  // Client addresses come from X-Forwarded-For, so each case chooses the addresses it signs in from.
  TRUST_PROXY: '1',
  WEB_ORIGINS: `${WEB},http://127.0.0.1:3000`,
};

let ldb: LiveDatabase;
let api: TestApp;
let watch: GradeWatch;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  api = await startTestApp({ databaseUrl: ldb.url, env: ENV });
  // The healthy bystander's user (admin) is not one the socket-cap cases use.
  watch = await watchGrades(api, ldb, 'admin@homeroom.test');
});
afterAll(async () => {
  await watch?.dispose();
  await api?.stop();
  await ldb?.close();
});

/** POST with `application/graphql-response+json`, returning status and body. */
async function post(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] },
  };
}
const codesOf = (body: { errors?: { extensions?: Record<string, any> }[] }) =>
  (body.errors ?? []).map((e) => e.extensions?.code);
/**
 * Refused before running: 400, no `data` entry, BAD_USER_INPUT naming the limit. (Regression: the
 * graphql-armor refusals were once answered 200, against the GraphQL-over-HTTP spec.)
 */
function expectRefused(result: Awaited<ReturnType<typeof post>>, message: RegExp) {
  expect(result.status).toBe(400);
  expect('data' in result.body).toBe(false);
  expect(codesOf(result.body)).toEqual(['BAD_USER_INPUT']);
  expect(result.body.errors![0].message).toMatch(message);
}

describe('query limits (defaults: depth 12, cost 20000, aliases 30, tokens 4000, directives 50)', () => {
  let token: string;
  beforeAll(async () => {
    token = await ldb.token('student@homeroom.test');
  });
  const auth = () => ({ authorization: `Bearer ${token}` });
  /** course → posts → edges → node → course, `rounds` times, then `tail`. */
  const nested = (rounds: number, tail: string) => {
    let selection = tail;
    for (let i = 0; i < rounds; i++) selection = `posts(first: 1) { edges { node { course { ${selection} } } } }`;
    return `query($id: ID!) { course(id: $id) { ${selection} } }`;
  };

  it('depth: 12 runs, 13 is refused (400, BAD_USER_INPUT naming the limit)', async () => {
    const id = ldb.f.course('MATH101').id;
    const twelve = await post(nested(2, 'posts(first: 1) { pageInfo { hasNextPage } }'), { id }, auth());
    expect(twelve.body.errors).toBeUndefined();
    expect(twelve.body.data.course.posts.edges).toHaveLength(1);
    const thirteen = await post(nested(2, 'posts(first: 1) { edges { node { id } } }'), { id }, auth());
    expectRefused(thirteen, /depth limit of 12 exceeded, found 13/);
  });

  it('cost: an ordinary page runs, a nested fan-out is refused (400, BAD_USER_INPUT) before it runs', async () => {
    const page = await post(
      `{ courses { posts(first: 100) { edges { node { comments { author { id } } } } } } }`,
      {},
      auth(),
    );
    expect(page.body.errors).toBeUndefined();
    let selection = 'id';
    for (let i = 0; i < 2; i++)
      selection = `posts(first: 100) { edges { node { comments { author { id } } course { id ${selection} } } } }`;
    const fanOut = await post(`{ courses { ${selection} } }`, {}, auth());
    expectRefused(fanOut, /Cost limit of 20000 exceeded/);
  });

  it('aliases: 30 run, 31 are refused (400, BAD_USER_INPUT)', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: courses { id }`).join(' ')} }`;
    const thirty = await post(aliases(30), {}, auth());
    expect(thirty.body.errors).toBeUndefined();
    expect(Object.keys(thirty.body.data)).toHaveLength(30);
    const over = await post(aliases(31), {}, auth());
    expectRefused(over, /Aliases limit of 30 exceeded/);
  });

  it('directives: 50 run, 51 are refused (400, BAD_USER_INPUT)', async () => {
    const directives = (n: number) =>
      `{ ${Array.from({ length: n }, () => '__typename @include(if: true)').join(' ')} }`;
    const fifty = await post(directives(50), {}, auth());
    expect(fifty.body).toEqual({ data: { __typename: 'Query' } });
    const over = await post(directives(51), {}, auth());
    expectRefused(over, /Directives limit of 50 exceeded/);
  });

  it('tokens: 4000 run, 4001 are refused with 400 BAD_USER_INPUT', async () => {
    // 444 fragments (`...Fi` = 2 tokens, `fragment Fi on Query { __typename }` = 7) + `{` `}` = 3998
    // tokens, plus `extra` × `__typename`. (One selection set of 4000 fields would trip graphql-js's
    // own overlap budget, "Validation aborted.", before running.)
    const doc = (extra: number) => {
      const spreads = Array.from({ length: 444 }, (_, i) => `...F${i}`).join(' ');
      const fragments = Array.from({ length: 444 }, (_, i) => `fragment F${i} on Query { __typename }`).join(' ');
      return `{ ${'__typename '.repeat(extra)}${spreads} } ${fragments}`;
    };
    const atLimit = await post(doc(2), {}, auth());
    expect(atLimit.status).toBe(200);
    expect(atLimit.body).toEqual({ data: { __typename: 'Query' } });
    const over = await post(doc(3), {}, auth());
    expect(over.status).toBe(400);
    expect(codesOf(over.body)).toEqual(['BAD_USER_INPUT']);
    expect(over.body.errors![0].message).toMatch(/Token limit of 4000 exceeded/);
  });

  it('a request body over 25 MB (Yoga’s default cap) → 413 REQUEST_ENTITY_TOO_LARGE; the server keeps serving', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'p'.repeat(25_000_001) } });
    const response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body,
    });
    expect(response.status).toBe(413);
    expect(codesOf((await response.json()) as never)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
    expect((await post('{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
  });

  // Regression: graphql-armor's rules throw their refusal; unguarded in onSubscribe, that closed
  // the whole socket with 4500 (every other subscription on it with it).
  it('over graphql-ws each limit answers that operation with an `error`; the socket and its live subscription stay', async () => {
    const math = ldb.f.course('MATH101');
    const ws = await ackedSocket(api.wsUrl, await ldb.token('instructor@homeroom.test'));
    try {
      const after = (await gql(api.url, LIVE_CURSOR, {}, token)).data!.liveCursor;
      await ws.send({
        id: 'live',
        type: 'subscribe',
        payload: { query: GRADE_CHANGED, variables: { courseId: math.id, after } },
      });
      let costly = 'id';
      for (let i = 0; i < 2; i++)
        costly = `posts(first: 100) { edges { node { comments { author { id } } course { id ${costly} } } } }`;
      const over = {
        // gradeChanged › grade › standing › course › posts › edges › node › course › posts › edges › node › course › id: 13.
        depth: `subscription { gradeChanged(courseId: "${math.id}") { cursor grade { standing { course { posts(first: 1) { edges { node { course { posts(first: 1) { edges { node { course { id } } } } } } } } } } } } }`,
        aliases: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: courses { id }`).join(' ')} }`,
        directives: `{ ${Array.from({ length: 51 }, () => '__typename @include(if: true)').join(' ')} }`,
        cost: `{ courses { ${costly} } }`,
      };
      const answers: Record<string, unknown> = {};
      for (const [limit, query] of Object.entries(over)) {
        await ws.send({ id: limit, type: 'subscribe', payload: { query } });
        const { answer, closed } = await answerOrClose(ws, limit);
        answers[limit] = closed
          ? `closed ${closed.code}`
          : [answer.type, answer.payload?.[0]?.message.match(/(\w+) limit of/i)?.[1]?.toLowerCase()];
      }
      expect(answers).toEqual({
        depth: ['error', 'depth'],
        aliases: ['error', 'aliases'],
        directives: ['error', 'directives'],
        cost: ['error', 'cost'],
      });
      await watch.alive();
      const last = watch.stream.items.at(-1)!;
      await ws.messages.find(
        (m) => m.id === 'live' && m.type === 'next' && m.payload.data.gradeChanged.cursor === last.cursor,
        10_000,
        'the live subscription’s event',
      );
      expect(ws.closes.items).toEqual([]);
    } finally {
      ws.close();
    }
  });
});

describe('WebSocket message size (WS_MAX_MESSAGE_BYTES=4096)', () => {
  it('a frame over the limit closes that socket with 1009; one just under it is served; other sockets keep working', async () => {
    const token = await ldb.token('student02@homeroom.test');
    const ws = await ackedSocket(api.wsUrl, token);
    // 4096 bytes exactly: a query padded with a comment.
    const message = (bytes: number) => {
      const base = JSON.stringify({ id: 'x', type: 'subscribe', payload: { query: '{ __typename }\n#' } });
      return base.replace('#', `#${'p'.repeat(bytes - Buffer.byteLength(base))}`);
    };
    expect(Buffer.byteLength(message(4096))).toBe(4096);
    ws.socket.send(message(4096));
    const served = await ws.messages.find(
      (m) => m.id === 'x' && m.type === 'next',
      10_000,
      'the answer to a 4096-byte message',
    );
    expect(served.payload).toEqual({ data: { __typename: 'Query' } });
    ws.socket.send(message(4097).replace('"x"', '"y"'));
    expect(await ws.closed(10_000)).toMatchObject({ code: 1009 });
    await watch.alive();
  });
});

describe('sockets per user (WS_MAX_SOCKETS_PER_USER=2)', () => {
  it('the third socket of one user is closed 1008 with a reason; other users connect; closing one frees a slot', async () => {
    const token = await ldb.token('student03@homeroom.test');
    const first = await ackedSocket(api.wsUrl, token);
    const second = await ackedSocket(api.wsUrl, token);
    const third = rawSocket(api.wsUrl);
    try {
      expect(await initResult(third, { authorization: `Bearer ${token}` })).toEqual({
        code: 1008,
        reason: 'Too many sockets for this user (limit 2)',
      });
      // The same user with a freshly minted token is the same user.
      const again = rawSocket(api.wsUrl);
      expect(
        await initResult(again, { authorization: `Bearer ${await ldb.token('student03@homeroom.test', 600)}` }),
      ).toMatchObject({ code: 1008 });
      // Another user is not affected.
      const other = await ackedSocket(api.wsUrl, await ldb.token('student04@homeroom.test'));
      other.close();
      await watch.alive();
      // The first two still work.
      await second.send({ id: 'me', type: 'subscribe', payload: { query: '{ me { id } }' } });
      expect((await second.messages.find((m) => m.id === 'me' && m.type === 'next')).payload.data.me.id).toBe(
        ldb.f.user('student03@homeroom.test'),
      );
      // Closing one frees its slot.
      first.close();
      await first.closed();
      const replacement = rawSocket(api.wsUrl);
      expect(await initResult(replacement, { authorization: `Bearer ${token}` })).toBe('acked');
      replacement.close();
    } finally {
      first.close();
      second.close();
      third.close();
    }
  });

  it('sockets refused for their token, and sockets that never sent connection_init, take no slot', async () => {
    const token = await ldb.token('student05@homeroom.test');
    const refused = await Promise.all(
      ['Bearer nonsense', `Bearer ${token.slice(0, -2)}xx`].map((authorization) =>
        initResult(rawSocket(api.wsUrl), { authorization }),
      ),
    );
    expect(refused.map((r) => (r === 'acked' ? r : r.code))).toEqual([4403, 4403]);
    const idle = rawSocket(api.wsUrl);
    await idle.send({ type: 'ping' });
    await idle.messages.find((m) => m.type === 'pong');
    const a = await ackedSocket(api.wsUrl, token);
    const b = await ackedSocket(api.wsUrl, token);
    a.close();
    b.close();
    idle.close();
  });
});

describe('operations per socket (WS_MAX_SUBSCRIPTIONS_PER_SOCKET=3)', () => {
  it('the fourth concurrent operation gets TOO_MANY_REQUESTS; the socket and the first three keep working; completing one frees a slot', async () => {
    const math = ldb.f.course('MATH101');
    const token = await ldb.token('instructor@homeroom.test');
    const ws = await ackedSocket(api.wsUrl, token);
    try {
      // `after`: an event committed before a stream registered is replayed, so no race with the commit below.
      const after = (await gql(api.url, LIVE_CURSOR, {}, token)).data!.liveCursor;
      for (const id of ['s1', 's2', 's3'])
        await ws.send({
          id,
          type: 'subscribe',
          payload: { query: GRADE_CHANGED, variables: { courseId: math.id, after } },
        });
      await ws.send({
        id: 's4',
        type: 'subscribe',
        payload: { query: GRADE_CHANGED, variables: { courseId: math.id } },
      });
      const refused = await ws.messages.find((m) => m.id === 's4', 10_000, 'the answer to the fourth operation');
      expect(refused).toEqual({
        id: 's4',
        type: 'error',
        payload: [
          expect.objectContaining({
            message: 'Too many operations on this socket (limit 3)',
            extensions: { code: 'TOO_MANY_REQUESTS' },
          }),
        ],
      });
      // The three are live: one commit reaches each of them.
      await watch.alive();
      const last = watch.stream.items.at(-1)!;
      for (const id of ['s1', 's2', 's3']) {
        await ws.messages.find(
          (m) => m.id === id && m.type === 'next' && m.payload.data.gradeChanged.cursor === last.cursor,
          10_000,
          `the event on ${id}`,
        );
      }
      // Completing one frees its slot at once: `complete` and a new `subscribe` in one TCP write,
      // as a client changing a subscription's variables sends them. (Regression: the slot was
      // freed only once the completed operation had wound down, so this was refused.)
      const tcp = (ws.socket as unknown as { _socket: import('node:net').Socket })._socket;
      tcp.cork();
      ws.socket.send(JSON.stringify({ id: 's2', type: 'complete' }));
      ws.socket.send(
        JSON.stringify({
          id: 's5',
          type: 'subscribe',
          payload: { query: GRADE_CHANGED, variables: { courseId: math.id, after: last.cursor } },
        }),
      );
      tcp.uncork();
      await watch.alive();
      const next = watch.stream.items.at(-1)!;
      await ws.messages.find(
        (m) => m.id === 's5' && m.type === 'next' && m.payload.data.gradeChanged.cursor === next.cursor,
        10_000,
        'the event on s5',
      );
      expect(ws.messages.items.filter((m) => m.id === 's5' && m.type === 'error')).toEqual([]);
      expect(ws.closes.items).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('finished operations (queries, refused subscriptions, invalid documents) free their slot', async () => {
    const phys = ldb.f.course('PHYS110');
    const ws = await ackedSocket(api.wsUrl, await ldb.token('student06@homeroom.test'));
    try {
      for (let i = 0; i < 4; i++) {
        await ws.send({ id: `q${i}`, type: 'subscribe', payload: { query: '{ me { id } }' } });
        await ws.messages.find((m) => m.id === `q${i}` && m.type === 'complete', 10_000, `query ${i} to complete`);
        await ws.send({
          id: `f${i}`,
          type: 'subscribe',
          payload: { query: GRADE_CHANGED, variables: { courseId: phys.id } },
        }); // not a member: FORBIDDEN
        await ws.messages.find(
          (m) => m.id === `f${i}` && (m.type === 'complete' || m.type === 'error'),
          10_000,
          `forbidden ${i} to end`,
        );
        await ws.send({ id: `v${i}`, type: 'subscribe', payload: { query: 'subscription { nope }' } });
        await ws.messages.find((m) => m.id === `v${i}` && m.type === 'error', 10_000, `invalid ${i} to be refused`);
      }
      const forbidden = ws.messages.items.filter((m) => m.id?.startsWith('f') && m.type === 'next');
      expect(forbidden.flatMap((m) => m.payload.errors.map((e: any) => e.extensions.code))).toEqual([
        'FORBIDDEN',
        'FORBIDDEN',
        'FORBIDDEN',
        'FORBIDDEN',
      ]);
      const math = ldb.f.course('MATH101');
      for (const id of ['a', 'b', 'c'])
        await ws.send({ id, type: 'subscribe', payload: { query: GRADE_CHANGED, variables: { courseId: math.id } } });
      await ws.send({ id: 'probe', type: 'subscribe', payload: { query: '{ me { id } }' } });
      const probe = await ws.messages.find((m) => m.id === 'probe', 10_000, 'the answer to the fourth operation');
      expect(probe.type).toBe('error'); // three slots taken by a, b, c — and only by them
      expect(ws.messages.items.filter((m) => ['a', 'b', 'c'].includes(m.id) && m.type === 'error')).toEqual([]);
    } finally {
      ws.close();
    }
  });
});

describe('login rate limits (LOGIN_ATTEMPTS_PER_ACCOUNT=3, LOGIN_ATTEMPTS_PER_ACCOUNT_TOTAL=5, LOGIN_ATTEMPTS_PER_ADDRESS=6)', () => {
  const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { email } } }`;
  let address = 0;
  /** Each call from its own client address unless one is given. */
  const login = (email: string, password: string, from = `198.51.100.${++address}`) =>
    post(LOGIN, { e: email, p: password }, { 'x-forwarded-for': from });

  it('per account and address: after 3 failures from one address even the right password is refused there, with TOO_MANY_REQUESTS and retryAfterSeconds; the owner elsewhere and other accounts still sign in', async () => {
    const email = 'student07@homeroom.test';
    const attacker = '198.51.100.200';
    for (let i = 0; i < 3; i++)
      expect(codesOf((await login(email, 'wrong', attacker)).body)).toEqual(['UNAUTHENTICATED']);
    const locked = await login(email, 'homeroom', attacker);
    expect(codesOf(locked.body)).toEqual(['TOO_MANY_REQUESTS']);
    const error = locked.body.errors![0];
    expect(error.message).toMatch(/^Too many sign-in attempts: try again in \d+ s$/);
    expect(error.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.extensions!.retryAfterSeconds).toBeLessThanOrEqual(900);
    // The account, however its address is spelled.
    expect(codesOf((await login('  STUDENT07@Homeroom.Test ', 'homeroom', attacker)).body)).toEqual([
      'TOO_MANY_REQUESTS',
    ]);
    // The owner, from their own address, is not locked out by someone else's guesses.
    expect((await login(email, 'homeroom')).body.data.login.user.email).toBe(email);
    // Other accounts are not affected, even from the attacker's address.
    expect((await login('student08@homeroom.test', 'homeroom', attacker)).body.data.login.user.email).toBe(
      'student08@homeroom.test',
    );
    // Nothing was written but the counters.
    expect(
      (await ldb.sql`select count(*)::int as n from rate_limits where key like ${'login-account-address:%'}`)[0].n,
    ).toBeGreaterThan(0);
  });

  it('per account from all addresses: after 5 failures spread over addresses the account is refused from every address, a new one too', async () => {
    const email = 'student18@homeroom.test';
    for (let i = 0; i < 5; i++) expect(codesOf((await login(email, 'wrong')).body)).toEqual(['UNAUTHENTICATED']);
    expect(codesOf((await login(email, 'homeroom')).body)).toEqual(['TOO_MANY_REQUESTS']);
    expect((await login('student19@homeroom.test', 'homeroom')).body.data.login.user.email).toBe(
      'student19@homeroom.test',
    );
  });

  // Regression (issue 18.4): the count was read before the slow password hash and raised after it,
  // so 30 concurrent guesses were all checked against a limit of 3.
  it('per account and address: 30 concurrent wrong passwords from one address — at most 3 are checked, the rest refused before hashing', async () => {
    const from = '198.51.100.230';
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async () =>
        codesOf((await login('student17@homeroom.test', 'wrong', from)).body).join(),
      ),
    );
    const checked = outcomes.filter((code) => code === 'UNAUTHENTICATED').length;
    expect(checked).toBeLessThanOrEqual(3);
    expect(outcomes.filter((code) => code === 'TOO_MANY_REQUESTS').length).toBe(30 - checked);
  });

  it('per account from all addresses: 30 concurrent wrong passwords from 30 addresses — at most 5 are checked', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async () => codesOf((await login('student20@homeroom.test', 'wrong')).body).join()),
    );
    const checked = outcomes.filter((code) => code === 'UNAUTHENTICATED').length;
    expect(checked).toBeLessThanOrEqual(5);
    expect(outcomes.filter((code) => code === 'TOO_MANY_REQUESTS').length).toBe(30 - checked);
  });

  it('per account and address: a success resets the count (fail, fail, ok, fail, fail, ok from one address)', async () => {
    const email = 'student09@homeroom.test';
    for (const password of ['wrong', 'wrong', 'homeroom', 'wrong', 'wrong', 'homeroom']) {
      const { body } = await login(email, password, '198.51.100.201');
      expect(codesOf(body)).toEqual(password === 'homeroom' ? [] : ['UNAUTHENTICATED']);
    }
  });

  it('per address: every attempt counts (successes too); the 7th from one address is refused; other addresses are not', async () => {
    const from = '203.0.113.77';
    const outcomes: string[] = [];
    for (const [email, password] of [
      ['student10@homeroom.test', 'homeroom'],
      ['student11@homeroom.test', 'wrong'],
      ['nobody@homeroom.test', 'x'],
      ['student12@homeroom.test', 'homeroom'],
      ['student13@homeroom.test', 'homeroom'],
      ['student14@homeroom.test', 'wrong'],
      ['student15@homeroom.test', 'homeroom'],
    ]) {
      const { body } = await login(email, password, from);
      outcomes.push(body.data?.login ? 'ok' : codesOf(body).join());
    }
    expect(outcomes).toEqual([
      'ok',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'ok',
      'ok',
      'UNAUTHENTICATED',
      'TOO_MANY_REQUESTS',
    ]);
    expect(codesOf((await login('student15@homeroom.test', 'homeroom', from)).body)).toEqual(['TOO_MANY_REQUESTS']);
    expect((await login('student15@homeroom.test', 'homeroom', '203.0.113.78')).body.data.login.user.email).toBe(
      'student15@homeroom.test',
    );
  });

  // Regression: the leftmost X-Forwarded-For entry — the client's own invention — was trusted.
  it('behind the trusted proxy, the address it appended counts: prepending invented addresses does not reset the budget', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 7; i++) {
      // What a proxy forwards: the client's own header, then the address it saw (always the same).
      // A different account each time, so only the address's count can refuse.
      const { body } = await login(`ghost${i}@homeroom.test`, 'wrong', `10.0.0.${i}, 203.0.113.90`);
      outcomes.push(codesOf(body).join());
    }
    expect(outcomes).toEqual([...Array(6).fill('UNAUTHENTICATED'), 'TOO_MANY_REQUESTS']);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot escape the per-address limit by inventing addresses', async () => {
    // A second instance on the same database, not behind a proxy: the socket address counts.
    const direct = await startTestApp({
      databaseUrl: ldb.url,
      env: { LOGIN_ATTEMPTS_PER_ADDRESS: '3', LOGIN_ATTEMPTS_PER_ACCOUNT: '100' },
    });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await fetch(direct.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${i}` },
          body: JSON.stringify({ query: LOGIN, variables: { e: 'student16@homeroom.test', p: 'wrong' } }),
        });
        outcomes.push(codesOf(await response.json()).join());
      }
      expect(outcomes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS']);
    } finally {
      await direct.stop();
    }
  });
});

describe('CSRF prevention', () => {
  const query = encodeURIComponent('{ __typename }');
  it('GET without a preflight header → 403; with `graphql-require-preflight` or `x-graphql-yoga-csrf` → 200', async () => {
    expect((await fetch(`${api.url}?query=${query}`, { headers: { accept: 'application/json' } })).status).toBe(403);
    for (const header of ['graphql-require-preflight', 'x-graphql-yoga-csrf']) {
      const response = await fetch(`${api.url}?query=${query}`, {
        headers: { accept: 'application/json', [header]: '1' },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
  });

  it('JSON POST → 200; form, multipart and text/plain POSTs (simple requests a foreign page can send) → 403, nothing runs', async () => {
    expect((await post('{ __typename }')).status).toBe(200);
    const before = (await ldb.sql`select count(*)::int as n from notifications where read_at is not null`)[0].n;
    const token = await ldb.token('student@homeroom.test');
    const mutation = 'mutation { markAllNotificationsRead }';
    const form = new FormData();
    form.set('query', mutation);
    for (const init of <{ headers: Record<string, string>; body: string | FormData }[]>[
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${encodeURIComponent(mutation)}`,
      },
      { headers: {}, body: form },
      { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: mutation }) },
    ]) {
      const response = await fetch(api.url, {
        method: 'POST',
        headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...init.headers },
        body: init.body,
      });
      expect(response.status).toBe(403);
    }
    expect((await ldb.sql`select count(*)::int as n from notifications where read_at is not null`)[0].n).toBe(before);
  });
});

describe('WebSocket Origin allowlist', () => {
  it('a foreign Origin (or "null") is refused at the upgrade; the web origin, the API’s own origin and no Origin are accepted', async () => {
    const same = `http://127.0.0.1:${api.port}`;
    const results = {
      foreign: await upgrade(api.wsUrl, { origin: 'http://evil.test' }),
      nullOrigin: await upgrade(api.wsUrl, { origin: 'null' }),
      otherScheme: await upgrade(api.wsUrl, { origin: 'https://web.test:3000' }),
      lookalike: await upgrade(api.wsUrl, { origin: `${same}.evil.test` }),
      web: await upgrade(api.wsUrl, { origin: WEB }),
      sameOrigin: await upgrade(api.wsUrl, { origin: same }),
      none: await upgrade(api.wsUrl),
    };
    expect(results).toEqual({
      foreign: { opened: false, status: 401 },
      nullOrigin: { opened: false, status: 401 },
      otherScheme: { opened: false, status: 401 },
      lookalike: { opened: false, status: 401 },
      web: { opened: true, protocol: 'graphql-transport-ws' },
      sameOrigin: { opened: true, protocol: 'graphql-transport-ws' },
      none: { opened: true, protocol: 'graphql-transport-ws' },
    });
    await watch.alive();
  });

  it('an accepted web-origin socket works end to end', async () => {
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(api.wsUrl, 'graphql-transport-ws', { headers: { origin: WEB } });
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: `Bearer ${await ldb.token('student@homeroom.test')}` },
      }),
    );
    await expect.poll(() => messages.map((m) => m.type), { timeout: 10_000, interval: 20 }).toContain('connection_ack');
    socket.send(JSON.stringify({ id: 'me', type: 'subscribe', payload: { query: '{ me { id } }' } }));
    await expect
      .poll(() => messages.find((m) => m.id === 'me' && m.type === 'next')?.payload, { timeout: 10_000, interval: 20 })
      .toEqual({
        data: { me: { id: ldb.f.user('student@homeroom.test') } },
      });
    socket.close();
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(api.url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });

  it('answers the web origin’s preflight: its origin, POST, and the Authorization header allowed', async () => {
    const response = await preflight(WEB);
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization/);
    const actual = await fetch(api.url, {
      method: 'POST',
      headers: { origin: WEB, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(actual.headers.get('access-control-allow-origin')).toBe(WEB);
  });

  // Regression: with several WEB_ORIGINS, Yoga answered any other origin with
  // `Access-Control-Allow-Origin: null`, which sandboxed iframes and data: documents match.
  it('a foreign origin, and the opaque origin "null", get no Access-Control-Allow-Origin at all (preflight or request)', async () => {
    const allowOrigin = async (origin: string, method: 'OPTIONS' | 'POST') => {
      const response =
        method === 'OPTIONS'
          ? await preflight(origin)
          : await fetch(api.url, {
              method,
              headers: { origin, 'content-type': 'application/json' },
              body: JSON.stringify({ query: '{ __typename }' }),
            });
      await response.arrayBuffer();
      return response.headers.get('access-control-allow-origin');
    };
    expect({
      foreignPreflight: await allowOrigin('http://evil.test', 'OPTIONS'),
      foreignPost: await allowOrigin('http://evil.test', 'POST'),
      nullPreflight: await allowOrigin('null', 'OPTIONS'),
      nullPost: await allowOrigin('null', 'POST'),
      secondWebOrigin: await allowOrigin('http://127.0.0.1:3000', 'OPTIONS'),
    }).toEqual({
      foreignPreflight: null,
      foreignPost: null,
      nullPreflight: null,
      nullPost: null,
      secondWebOrigin: 'http://127.0.0.1:3000',
    });
  });
});
