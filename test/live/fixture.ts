import { afterAll, beforeAll } from 'vitest';
import { startTestApp, type TestApp } from '../app';
import { connectLive, type LiveConnection } from './clients';
import { type LiveDatabase, openLiveDatabase } from './db';

/**
 * The app and database a live test file shares: a fresh seeded database and the app on it,
 * started before the file's tests and stopped after them, with every connection `connect`
 * opened. Call at the top level of the file:
 *
 *   const live = useLiveApp({ env: { CONTENT_COALESCE_MS: '0' } });
 *   it('…', async () => {
 *     const conn = await live.connect('student@homeroom.test');
 *     await gqlOk(live.api.url, …, {}, await live.ldb.token('admin@homeroom.test'));
 *   });
 */
export function useLiveApp(options: { env?: Record<string, string> } = {}) {
  let ldb: LiveDatabase | undefined;
  let api: TestApp | undefined;
  const conns: LiveConnection[] = [];
  beforeAll(async () => {
    ldb = await openLiveDatabase();
    api = await startTestApp({ databaseUrl: ldb.url, env: options.env });
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.dispose()));
    await api?.stop();
    await ldb?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useLiveApp: the app starts in beforeAll; use it inside tests');
    return value;
  };
  return {
    get ldb() {
      return started(ldb);
    },
    get api() {
      return started(api);
    },
    /** A graphql-ws connection signed in as a seeded user, disposed after the file's tests. */
    async connect(email: string) {
      const conn = connectLive(started(api).wsUrl, await started(ldb).token(email));
      conns.push(conn);
      return conn;
    },
  };
}
