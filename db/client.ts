import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';

export type Database = ReturnType<typeof createDatabase>['db'];

/** One pool per process; `stop()` ends it so tests and shutdowns never hang. */
export function createDatabase(url: string, options: { max?: number } = {}) {
  const client = postgres(url, { max: options.max ?? 10, onnotice: () => {} });
  const db = drizzle({ client });
  return { db, client, stop: () => client.end({ timeout: 5 }) };
}
