/** What test/global-setup.ts hands to every test file (vitest `provide` / `inject`). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection to a maintenance database of the test cluster (to create and drop databases). */
    postgresAdminUrl: string;
    /** The migrated database that createTestDatabase() clones. Never connect to it. */
    templateDatabase: string;
    /** The same with the demo seed (db/seed.ts) in it: what `createTestDatabase({ seeded: true })` clones. */
    seededTemplateDatabase: string;
    /** The Redis all test files share (never stop it: start a private one for fault tests). */
    redisUrl: string;
  }
}

/** Replaces the database in a postgres:// URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
