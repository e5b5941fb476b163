import postgres from 'postgres';
import { expect } from 'vitest';
import type { App } from '../../server/app';
import { startTestApp, type TestApp } from '../app';
import { createTestDatabase, type TestDatabase } from '../database';
import { mintToken } from '../sessions';
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

/** Seeded people the API tests talk about. */
export const SAM = 'student@homeroom.test'; // in MATH101 and HIST201, not PHYS110
export const TEACHER = 'instructor@homeroom.test'; // teaches MATH101
export const TEACHER2 = 'instructor2@homeroom.test'; // teaches HIST201 and PHYS110
export const ADMIN = 'admin@homeroom.test';
/** A well-formed id nothing has. */
export const UNKNOWN_ID = '7d1f0c9e-0000-4000-8000-000000000000';

export type ApiHarness = {
  app: App;
  /** The started instance (its url, wsUrl and baseUrl, for clients over real sockets). */
  server: TestApp;
  /** postgres:// URL of this file's database (e.g. for a second instance: startTestApp). */
  databaseUrl: string;
  /** A direct connection to this file's database, to check what the API did (or did not) write. */
  sql: postgres.Sql;
  f: Fixtures;
  /** Runs one operation in-process through `yoga.fetch`, with `Authorization: Bearer <token>` when given. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResult<T>>;
  /** Runs an operation that must succeed, and returns its data. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  /** Runs an operation that must fail with exactly one error of `code`, and returns that error. */
  refused(
    query: string,
    variables: Record<string, unknown>,
    token: string | null,
    code: string,
  ): Promise<GraphQLErrorJson>;
  /** A raw request to the in-process server (paths such as /health). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A valid token for a seeded or created user, signed by the app's own token service. */
  tokenFor(email: string): Promise<string>;
  stop(): Promise<void>;
};

/**
 * One isolated database per test file (a clone of the migrated template), the demo seed in it, and
 * the real app started on it (test/app.ts), called in-process through `yoga.fetch`: no mocks.
 *
 *   let api: ApiHarness;
 *   beforeAll(async () => { api = await startApi(); });
 *   afterAll(() => api?.stop());
 */
export async function startApi(env: Record<string, string> = {}): Promise<ApiHarness> {
  const database: TestDatabase = await createTestDatabase({ seeded: true });
  let server: TestApp | undefined;
  let sql: postgres.Sql | undefined;
  try {
    server = await startTestApp({ databaseUrl: database.url, env: { DATABASE_POOL_SIZE: '4', ...env } });
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    const f = await loadFixtures(sql);
    const { app } = server;
    const started = server;
    const direct = sql;
    const tokens = new Map<string, string>();

    const fetch = (path: string, init?: RequestInit) =>
      Promise.resolve(app.yoga.fetch(new Request(`http://test${path}`, init)));
    async function gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null) {
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
      const body = (await response.json()) as { data?: T; errors?: GraphQLErrorJson[] };
      return { status: response.status, data: body.data, errors: body.errors };
    }
    return {
      app,
      server: started,
      databaseUrl: database.url,
      sql,
      f,
      fetch,
      gql,
      async ok<T = any>(query: string, variables: Record<string, unknown> = {}, token: string | null = null) {
        const result = await gql<T>(query, variables, token);
        expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
        return result.data as T;
      },
      async refused(query, variables, token, code) {
        const result = await gql(query, variables, token);
        expect(codes(result), JSON.stringify(result.errors)).toEqual([code]);
        return result.errors![0];
      },
      async tokenFor(email) {
        const known = tokens.get(email);
        if (known) return known;
        const [user] = await direct<
          { id: string; role: 'STUDENT' | 'INSTRUCTOR' | 'ADMIN' }[]
        >`select id, role from users where email = ${email}`;
        if (!user) throw new Error(`no user ${email} in the test database`);
        const { token } = await mintToken(sql!, app.tokens, user);
        tokens.set(email, token);
        return token;
      },
      async stop() {
        await direct.end({ timeout: 5 });
        await started.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await sql?.end({ timeout: 5 });
    await server?.stop();
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
