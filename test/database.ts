import postgres from 'postgres';
import { inject } from 'vitest';
import { withDatabase } from './context';

export type TestDatabase = {
  /** postgres:// URL of a fresh, migrated database of this test file's own. */
  url: string;
  name: string;
  /** Drops it (closing whatever is still connected). The global teardown drops leftovers too. */
  drop(): Promise<void>;
};

let counter = 0;

/**
 * A private copy of the migrated template (`CREATE DATABASE … TEMPLATE …`: milliseconds, no
 * migrations), so test files running in parallel never see each other's rows. `seeded: true`
 * copies the one with the demo seed in it.
 *
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await createTestDatabase(); });
 *   afterAll(() => db.drop());
 */
export async function createTestDatabase(options: { seeded?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const template = options.seeded ? inject('seededTemplateDatabase') : inject('templateDatabase');
  const name = `${inject('templateDatabase')}_${process.pid}_${++counter}`;
  await admin(adminUrl, async (sql) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await sql`create database ${sql(name)} template ${sql(template)}`;
        return;
      } catch (error) {
        // 55006: the template is briefly "being accessed by other users" (another clone starting).
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  let dropped: Promise<void> | undefined;
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: () => (dropped ??= dropDatabase(adminUrl, name)),
  };
}

export function dropDatabase(adminUrl: string, name: string): Promise<void> {
  return admin(adminUrl, async (sql) => {
    await sql`drop database if exists ${sql(name)} with (force)`;
  });
}

/** One short-lived connection for database-level statements. */
export async function admin<T>(adminUrl: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
