import { fileURLToPath } from 'node:url';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import { createDatabase } from './client';

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

// Instances starting together must not race on the migrations table.
const MIGRATION_LOCK_KEY = 0x686d6d6967726174n;

/** Applies every pending migration; safe to run from several processes at once. */
export async function migrate(databaseUrl: string): Promise<void> {
  // One connection, so the advisory lock and the migration share a session.
  const { db, client, stop } = createDatabase(databaseUrl, { max: 1 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    const result = await drizzleMigrate(db, { migrationsFolder });
    if (result && 'exitCode' in (result as object)) throw new Error(`migration failed: ${JSON.stringify(result)}`);
  } finally {
    await stop();
  }
}
