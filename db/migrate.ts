import { fileURLToPath } from 'node:url';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import { createDatabase } from './client';

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies every pending migration; safe to run from several processes (drizzle takes a lock). */
export async function migrate(databaseUrl: string): Promise<void> {
  const { db, stop } = createDatabase(databaseUrl, { max: 1 });
  try {
    const result = await drizzleMigrate(db, { migrationsFolder });
    if (result && 'exitCode' in (result as object)) throw new Error(`migration failed: ${JSON.stringify(result)}`);
  } finally {
    await stop();
  }
}
