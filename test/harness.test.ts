import Redis from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database';

describe('test harness', () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  it('gives each file a migrated database', async () => {
    const rows = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public'`;
    const tables = rows.map((r) => r.table_name);
    expect(tables).toEqual(expect.arrayContaining(['users', 'courses', 'grades']));
  });

  it('isolates databases from each other and drops them', async () => {
    const other = await createTestDatabase();
    expect(other.name).not.toBe(db.name);
    const otherSql = postgres(other.url, { max: 1, onnotice: () => {} });
    await otherSql`create table only_here (id int)`;
    await otherSql.end({ timeout: 5 });
    const [{ exists }] = await sql<{ exists: boolean }[]>`
      select exists (select 1 from information_schema.tables where table_name = 'only_here')`;
    expect(exists).toBe(false);
    await other.drop();
    const [{ count }] = await sql<{ count: number }[]>`
      select count(*)::int as count from pg_database where datname = ${other.name}`;
    expect(count).toBe(0);
  });

  it('provides a Redis that answers', async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});
