import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../db/embedded';
import { removeOrphanedClusters } from '../db/embedded-leftovers';
import { migrate } from '../db/migrate';
import { seed } from '../db/seed';
import { getFreePort } from '../scripts/lib/ports';
import { withDatabase } from './context';
import { admin, dropDatabase } from './database';
import { startRedisServer } from './redis';

/**
 * Once per `vitest run`: a Postgres (TEST_DATABASE_URL, else embedded in a throwaway folder on a
 * free port), a template database migrated once and a copy of it with the demo seed, and a Redis (REDIS_URL, else a throwaway
 * redis-server on a free port). Test files get them through `inject` (see test/context.ts).
 * Teardown drops the template and every clone and removes whatever it started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[test-setup] ${line}\n`);
  const cleanups: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (let step = cleanups.pop(); step; step = cleanups.pop()) {
      await step().catch((error) => log(`teardown: ${error instanceof Error ? error.message : String(error)}`));
    }
  };
  try {
    let adminUrl = process.env.TEST_DATABASE_URL;
    if (!adminUrl) {
      const prefix = join(tmpdir(), 'homeroom-test-pg-');
      await removeOrphanedClusters(prefix, log); // left by a test run that was SIGKILLed
      const dataDir = mkdtempSync(prefix);
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      const pg = await startEmbeddedPostgres({
        dataDir,
        port: await getFreePort(),
        database: 'postgres',
        ephemeral: true,
      });
      cleanups.push(pg.stop);
      adminUrl = pg.adminUrl;
    }

    // Unique per run, so two runs against one TEST_DATABASE_URL server never collide.
    const template = `hr_test_${randomBytes(4).toString('hex')}`;
    await admin(adminUrl, (sql) => sql`create database ${sql(template)}`);
    const url = adminUrl;
    cleanups.push(async () => {
      const clones = await admin(
        url,
        (sql) => sql<{ datname: string }[]>`select datname from pg_database where datname like ${`${template}\\_%`}`,
      );
      for (const { datname } of clones) await dropDatabase(url, datname);
      await dropDatabase(url, template);
    });
    await migrate(withDatabase(adminUrl, template));
    // The demo seed once per run (its password hashes cost seconds on a busy machine), not once per file.
    const seeded = `${template}_seeded`;
    await admin(adminUrl, (sql) => sql`create database ${sql(seeded)} template ${sql(template)}`);
    await seed(withDatabase(adminUrl, seeded));

    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      const redis = await startRedisServer();
      cleanups.push(redis.stop);
      redisUrl = redis.url;
    }

    project.provide('postgresAdminUrl', adminUrl);
    project.provide('templateDatabase', template);
    project.provide('seededTemplateDatabase', seeded);
    project.provide('redisUrl', redisUrl);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
