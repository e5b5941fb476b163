import postgres from 'postgres';
import { seed } from '../../db/seed';
import { type App, buildApp } from '../../server/app';
import { loadConfig } from '../../server/env';
import { TEST_JWT_SECRET } from '../app';
import { createTestDatabase, type TestDatabase } from '../database';
import { type Fixtures, loadFixtures } from './fixtures';

export type GraphQLErrorJson = {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
};
export type GraphQLResult<T = any> = {
  status: number;
  data: T | null | undefined;
  errors: GraphQLErrorJson[] | undefined;
};

export type ApiHarness = {
  app: App;
  /** postgres:// URL of this file's database (e.g. for a second, started instance: startTestApp). */
  databaseUrl: string;
  /** A direct connection to this file's database, to check what the API did (or did not) write. */
  sql: postgres.Sql;
  f: Fixtures;
  /** Runs one operation in-process through `yoga.fetch`, with `Authorization: Bearer <token>` when given. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResult<T>>;
  /** A raw request to the in-process server (paths such as /health). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A valid token for a seeded or created user, signed by the app's own token service. */
  tokenFor(email: string): Promise<string>;
  stop(): Promise<void>;
};

/**
 * One isolated database per test file (a clone of the migrated template), the demo seed in it, and
 * the real app built on it, called in-process: no port, no mocks.
 *
 *   let api: ApiHarness;
 *   beforeAll(async () => { api = await startApi(); });
 *   afterAll(() => api?.stop());
 */
export async function startApi(env: Record<string, string> = {}): Promise<ApiHarness> {
  const database: TestDatabase = await createTestDatabase();
  let app: App | undefined;
  let sql: postgres.Sql | undefined;
  try {
    await seed(database.url);
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      DATABASE_POOL_SIZE: '4',
      ...env,
    });
    app = await buildApp(config);
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    const f = await loadFixtures(sql);
    const built = app;
    const tokens = new Map<string, string>();

    const fetch = (path: string, init?: RequestInit) =>
      Promise.resolve(built.yoga.fetch(new Request(`http://test${path}`, init)));
    return {
      app: built,
      databaseUrl: database.url,
      sql,
      f,
      fetch,
      async gql(query, variables, token) {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
        };
        if (token) headers.authorization = `Bearer ${token}`;
        const response = await fetch('/graphql', {
          method: 'POST',
          headers,
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as { data?: any; errors?: GraphQLErrorJson[] };
        return { status: response.status, data: body.data, errors: body.errors };
      },
      async tokenFor(email) {
        const known = tokens.get(email);
        if (known) return known;
        const [user] = await sql!<
          { id: string; role: 'STUDENT' | 'INSTRUCTOR' | 'ADMIN' }[]
        >`select id, role from users where email = ${email}`;
        if (!user) throw new Error(`no user ${email} in the test database`);
        const { token } = await built.tokens.sign(user);
        tokens.set(email, token);
        return token;
      },
      async stop() {
        await sql!.end({ timeout: 5 });
        await built.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await sql?.end({ timeout: 5 });
    await app?.stop();
    await database.drop();
    throw error;
  }
}

/** The `extensions.code` of every error, in order (an empty list when there was none). */
export const codes = (result: GraphQLResult) => (result.errors ?? []).map((e) => e.extensions?.code ?? '(no code)');

/**
 * A fingerprint of whole tables (every column of every row), to prove a refused operation wrote
 * nothing: not only no new row, also no changed one.
 */
export async function snapshot(
  sql: postgres.Sql,
  tables: readonly string[],
): Promise<Record<string, { rows: number; hash: string }>> {
  const result: Record<string, { rows: number; hash: string }> = {};
  for (const table of tables) {
    const [row] = await sql<{ rows: number; hash: string }[]>`
      select count(*)::int as rows, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as hash
      from ${sql(table)} t`;
    result[table] = row;
  }
  return result;
}

export const count = async (sql: postgres.Sql, table: string): Promise<number> =>
  (await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`)[0].n;

/**
 * Every table a request could write (each public table except relay bookkeeping such as
 * `outbox_state`, which a background relay may advance at any moment).
 */
export async function writableTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like '%\_state' and table_name not like '\_\_%'
    order by table_name`;
  return rows.map((r) => r.name);
}
