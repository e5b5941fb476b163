/**
 * `npm start` (production build) and `npm run dev` (`--dev`: next dev + API hot reload).
 * Postgres (embedded unless DATABASE_URL) → migrate → seed → API → web; Ctrl-C stops them in
 * reverse order. Environment contract: scripts/lib/config.ts and db/embedded-env.ts.
 */
import { join } from 'node:path';
import { databaseFromEnv } from '../db/embedded-env';
import { migrate } from '../db/migrate';
import { seed } from '../db/seed';
import { startApiInProcess, startApiWatcher } from './lib/api';
import { printBanner } from './lib/banner';
import { withBuildLock } from './lib/build-lock';
import { killLeftoverGroup } from './lib/child';
import { childEnv, readStartOptions } from './lib/config';
import { isPortInUse, waitForPort } from './lib/ports';
import { Shutdown, StoppingError } from './lib/shutdown';
import { buildWeb, staleBuildReason, startWeb } from './lib/web';

const log = (line: string) => process.stdout.write(`[start] ${line}\n`);
const shutdown = new Shutdown(log);
shutdown.handleSignals();

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  log(`${what}…`);
  const result = await shutdown.track(work());
  log(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function main(): Promise<void> {
  const options = readStartOptions(process.env, process.argv.includes('--dev'));
  const runDir = join(options.dataDir, 'run');
  const pidFiles = { web: join(runDir, 'web.pid'), api: join(runDir, 'api.pid') };

  // A SIGKILLed run leaves `next` (and in dev the API watcher) holding their ports.
  await killLeftoverGroup(pidFiles.web, 'next', log);
  await killLeftoverGroup(pidFiles.api, 'server/main.ts', log);
  for (const [name, port] of [
    ['PORT', options.apiPort],
    ['WEB_PORT', options.webPort],
  ] as const) {
    if (await isPortInUse(port))
      throw new Error(`port ${port} is in use by another program: stop it, or set ${name} to a free port`);
  }

  // Each step registers its stop inside the tracked work, so a Ctrl-C arriving mid-step still undoes it.
  const database = await timed(
    process.env.DATABASE_URL ? 'using DATABASE_URL' : 'starting embedded Postgres',
    async () => {
      const db = await databaseFromEnv(process.env, (line) => {
        if (/FATAL|PANIC|ERROR|WARNING|stopping leftover|removing stale|cannot reach/.test(line))
          log(`[postgres] ${line}`);
      });
      shutdown.defer('postgres', db.stop);
      return db;
    },
  );
  await timed('migrating', () => migrate(database.url));
  if (options.seed) await timed('seeding demo data', () => seed(database.url));

  const env = childEnv(process.env, options, database.url);
  if (options.dev) {
    const api = startApiWatcher(env, pidFiles.api);
    shutdown.defer('api', () => api.stop(), api.kill);
    await timed(`starting API (watch) on :${options.apiPort}`, () =>
      waitForPort(options.apiPort, { timeoutMs: 120_000, abort: api.exited, what: 'the API' }),
    );
    void api.exited.then(() => shutdown.exit(1, 'the API watcher exited: stopping'));
  } else {
    await timed(`starting API on :${options.apiPort}`, async () => {
      const api = await startApiInProcess(env);
      shutdown.defer('api', api.stop);
    });
    const reason = staleBuildReason();
    if (reason) {
      await timed(`building the web app (${reason})`, () =>
        withBuildLock(
          async () => {
            // Another copy may have built it while we waited for the lock.
            if (staleBuildReason())
              await buildWeb(env, (child) => shutdown.defer('next build', () => child.stop(), child.kill));
          },
          { log, cancelled: () => shutdown.stopping },
        ),
      );
    }
  }

  const web = startWeb({ dev: options.dev, port: options.webPort, env, pidFile: pidFiles.web });
  shutdown.defer('web', () => web.stop(), web.kill);
  await timed(`starting web app on :${options.webPort}`, () =>
    waitForPort(options.webPort, { timeoutMs: 120_000, abort: web.exited, what: 'the web app' }),
  );
  void web.exited.then(({ code, signal }) =>
    shutdown.exit(1, `the web app exited (${signal ?? `code ${code}`}): stopping`),
  );

  printBanner(options, database);
}

main().catch((error: unknown) => {
  if (error instanceof StoppingError) return;
  process.stderr.write(`[start] ${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof Error && error.stack && process.env.DEBUG) process.stderr.write(`${error.stack}\n`);
  void shutdown.exit(1);
});
