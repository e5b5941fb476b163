/**
 * Issue 13.6 — the connection log: one structured line per graphql-ws socket close (user, session,
 * address, transport, duration, subscriptions, close code) and a histogram of socket lifetimes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../../test';
import { GRADE_CHANGED, type LiveDatabase, newStreams, openLiveDatabase, rawSocket, waitFor } from '../../test/live';
import { ackedSocket, initResult } from '../../test/transport';

let ldb: LiveDatabase;
let api: TestApp;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  api = await startTestApp({ databaseUrl: ldb.url });
});
afterAll(async () => {
  await api?.stop();
  await ldb?.close();
});

/** The `socket closed` lines logged since `spy` was set, as their fields. */
const closeLines = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.filter(([, msg]) => msg === 'socket closed').map(([fields]) => fields as Record<string, unknown>);

const lifetimeCount = async (code: number) => {
  const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`homeroom_socket_lifetime_seconds_count{code="${code}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('the connection log', () => {
  it('a socket its client closes: one line with who, where, how long, how many subscriptions and the code; the histogram counts it', async () => {
    const email = 'student@homeroom.test';
    const userId = ldb.f.user(email);
    const logged = vi.spyOn(api.app.log, 'info');
    const before = await lifetimeCount(1005);
    const ws = await ackedSocket(api.wsUrl, await ldb.token(email));
    const registered = newStreams(api);
    const math = ldb.f.course('MATH101').id;
    await ws.send({ id: 'a', type: 'subscribe', payload: { query: GRADE_CHANGED, variables: {} } });
    await ws.send({ id: 'b', type: 'subscribe', payload: { query: GRADE_CHANGED, variables: { courseId: math } } });
    await ws.send({ id: 'c', type: 'subscribe', payload: { query: '{ me { id } }' } }); // answered and over
    await registered(2);
    await ws.messages.until(() => ws.messages.items.some((m) => m.id === 'c' && m.type === 'complete'));
    ws.close(); // no code: the server sees 1005 (no status received)
    await waitFor(() => closeLines(logged).some((l) => l.userId === userId), { what: 'the close to be logged' });
    const lines = closeLines(logged).filter((l) => l.userId === userId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      transport: 'graphql-ws',
      sessionId: expect.any(String),
      address: expect.stringMatching(/127\.0\.0\.1$/),
      subscriptions: 2,
      operations: 3,
      closeCode: 1005,
    });
    expect(lines[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(await lifetimeCount(1005)).toBe(before + 1);
    logged.mockRestore();
  });

  it('a socket refused at connect is logged too, without a user, with the refusal', async () => {
    const logged = vi.spyOn(api.app.log, 'info');
    const ws = rawSocket(api.wsUrl);
    expect(await initResult(ws, { authorization: 'Bearer not-a-token' })).toMatchObject({ code: 4403 });
    await waitFor(() => closeLines(logged).some((l) => l.userId === null), { what: 'the close to be logged' });
    expect(closeLines(logged).filter((l) => l.userId === null)).toEqual([
      expect.objectContaining({
        transport: 'graphql-ws',
        sessionId: null,
        subscriptions: 0,
        operations: 0,
        closeCode: 4403,
        closeReason: 'Invalid token',
      }),
    ]);
    expect(await lifetimeCount(4403)).toBeGreaterThanOrEqual(1);
    logged.mockRestore();
  });
});
