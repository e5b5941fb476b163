import { databaseFromEnv } from '../db/embedded-env';
import { migrate } from '../db/migrate';
import { buildApp } from './app';
import { loadConfig } from './env';

// Runs one API instance from the environment (README "Configuration"). Without DATABASE_URL it
// starts the embedded Postgres that `npm start` uses; several instances need a shared DATABASE_URL.
const database = await databaseFromEnv(process.env);
const config = loadConfig({ ...process.env, DATABASE_URL: database.url });
if (process.env.MIGRATE_ON_START !== '0') await migrate(config.databaseUrl);
const app = await buildApp(config);
const { url } = await app.start();
app.log.info({ url, redis: Boolean(config.redisUrl) }, `Homeroom API on ${url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    await app.stop();
    await database.stop();
    process.exit(0);
  });
}
