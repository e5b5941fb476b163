import { closeSync, mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';
import { getFreePort } from '../../scripts/lib/ports';
import { type ServerProcess, startServerProcess } from '../../scripts/lib/server-process';
import { type Control, controlOf } from './control';
import { withAllOpenFiles } from './infra';

export type SystemName = 'homeroom' | 'postgraphile' | 'raw-ws';
export const SYSTEMS: SystemName[] = ['raw-ws', 'homeroom', 'postgraphile'];

const SELECTION = 'cursor action occurredAt grade { id score note student { id } assessment { id } }';

/** The same subscription, spelled for each system; every one yields the same JSON shape. */
export const QUERIES: Record<SystemName, { query: string; resumeWithCursor: boolean }> = {
  homeroom: {
    query: `subscription ($c: ID, $after: String) { gradeChanged(courseId: $c, after: $after) { ${SELECTION} } }`,
    resumeWithCursor: true,
  },
  // PostGraphile's Grade: `id` is its global Node id, `rowId` the uuid; aliases give the same JSON shape.
  postgraphile: {
    query:
      'subscription ($c: UUID!) { gradeChanged(c: $c) { cursor action occurredAt grade { id: rowId score note student: userByStudentId { id: rowId } assessment: assessmentByAssessmentIdAndCourseId { id: rowId } } } }',
    resumeWithCursor: false,
  },
  'raw-ws': { query: `subscription ($c: ID) { gradeChanged(courseId: $c) { ${SELECTION} } }`, resumeWithCursor: false },
};

const SERVER_FILE: Record<SystemName, string> = {
  homeroom: fileURLToPath(new URL('../servers/homeroom.ts', import.meta.url)),
  postgraphile: fileURLToPath(new URL('../servers/postgraphile.ts', import.meta.url)),
  'raw-ws': fileURLToPath(new URL('../servers/raw-ws.ts', import.meta.url)),
};

export const PROFILE_DIR = fileURLToPath(new URL('../.tmp/', import.meta.url));

/** The NOTIFY PostGraphile listens to: installed only while PostGraphile is the system under test. */
async function installPostgraphileTrigger(sql: postgres.Sql) {
  await sql.unsafe(`
    create or replace function bench_tg_grades__notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('bench_grade:' || new.course_id,
        json_build_object('id', new.id, 'action', case tg_op when 'INSERT' then 'CREATED' else 'UPDATED' end,
                          'cursor', pg_current_xact_id()::text, 'occurredAt', now())::text);
      return null;
    end $$;
    drop trigger if exists bench_grades_notify on grades;
    create trigger bench_grades_notify after insert or update on grades for each row execute function bench_tg_grades__notify();`);
}

async function removePostgraphileTrigger(sql: postgres.Sql) {
  await sql.unsafe(
    'drop trigger if exists bench_grades_notify on grades; drop function if exists bench_tg_grades__notify();',
  );
}

export type RunningSystem = {
  name: SystemName;
  pids: number[];
  urls: string[];
  /** The first instance's control channel (servers/control.ts), when started with `control`. */
  control: Control | null;
  stop(): Promise<void>;
};

/**
 * Starts `instances` server processes of a system, each pinned to the server core, each in its
 * own Node process (so its CPU and RSS are its own), and waits for `READY <port>`.
 */
export async function startSystem(
  name: SystemName,
  options: {
    instances: number;
    core: string;
    env: Record<string, string>;
    sql: postgres.Sql;
    profile?: boolean;
    /** An IPC channel to each instance, for control requests (a CPU profile of one phase, memory figures). */
    control?: boolean;
    log: (line: string) => void;
  },
): Promise<RunningSystem> {
  if (name === 'postgraphile') await installPostgraphileTrigger(options.sql);
  const servers: ServerProcess<number>[] = [];
  const urls: string[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    if (name === 'postgraphile') await removePostgraphileTrigger(options.sql);
  };
  try {
    for (let i = 0; i < options.instances; i++) {
      const port = await getFreePort();
      const nodeArgs = ['--expose-gc', '--max-old-space-size=8192'];
      if (options.profile) {
        // One folder per run: every thread (main, and tsx's module-loader worker) writes its own profile.
        nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}${name}-profile-${Date.now()}-${i}`);
      }
      mkdirSync(PROFILE_DIR, { recursive: true });
      // Server output (PostGraphile's schema warnings, crashes) goes to bench/.tmp/<system>-<i>.log.
      const stderr = openSync(`${PROFILE_DIR}${name}-${i}.log`, 'w');
      const server = await startServerProcess({
        name,
        ...withAllOpenFiles('taskset', [
          '-c',
          options.core,
          process.execPath,
          ...nodeArgs,
          '--import',
          'tsx',
          SERVER_FILE[name],
        ]),
        env: {
          ...process.env,
          ...options.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          NODE_ENV: 'production',
        },
        stderr,
        ipc: options.control,
        ready: (line) => {
          const ready = /READY (\d+)/.exec(line);
          return ready ? Number(ready[1]) : undefined;
        },
      }).finally(() => closeSync(stderr));
      servers.push(server);
      urls.push(`ws://127.0.0.1:${server.ready}/graphql`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  options.log(
    `${name}: ${options.instances} instance(s) on core ${options.core} (pids ${servers.map((s) => s.pid).join(', ')})`,
  );
  const control = options.control ? controlOf(servers[0].child, name) : null;
  return { name, pids: servers.map((s) => s.pid), urls, control, stop };
}
