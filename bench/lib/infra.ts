import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../../db/embedded';
import { migrate } from '../../db/migrate';
import { seed } from '../../db/seed';
import { getFreePort } from '../../scripts/lib/ports';
import { startRedisServer } from '../../test/redis';
import { findPids } from './procfs';

export type Population = {
  courses: string[];
  /** Subscribers: instructors, each teaching one course (course = index % courses). */
  /** Each with a session of its own: every token names one. */
  staff: { id: string; courseIndex: number; sessionId: string }[];
  /**
   * Per course, the grade rows the writer updates, round-robin. Every system re-reads the row when
   * it delivers (the state now, not at commit), so a row must not be written again while an event
   * about it may still be in flight: many rows per course keep the reuse period long (≥ 10 s at
   * the highest rates), or a late event would carry a later note and be miscounted.
   */
  grades: string[][];
  /**
   * The lecture (issue 17): one more course, outside `courses`, taught by the first `lectureStaff`
   * of `staff` besides their own — a school-wide announcement's fan-out: each of its events reaches
   * every one of them, so the load side's cost per event (writer, triggers, relay) is shared by
   * thousands of deliveries instead of a hundred.
   */
  lecture: { courseId: string; grades: string[] };
  /**
   * Scenario (j)'s own instructors (not the others': their one course each stays as it was), each
   * teaching `coursesEach` of `courses` from `courseIndex` on (wrapping): one socket each, carrying
   * a `gradeChanged` subscription per course it teaches (lib/many.ts).
   */
  manyStaff: { id: string; courseIndex: number; sessionId: string }[];
};

/** The bench school's size. */
type PopulationOptions = {
  staff: number;
  /** How many of `staff` also teach the lecture (none by default). */
  lectureStaff?: number;
  /** Scenario (j)'s instructors, apart from `staff`, and how many courses each teaches (none by default). */
  manyStaff?: { count: number; coursesEach: number };
  courses: number;
  studentsPerCourse: number;
  assessmentsPerCourse: number;
};

/**
 * A command line run with its soft open-file limit raised to the hard one (`ulimit -Sn`, which
 * needs no privilege): a server or generator holding 10,000s of sockets needs a descriptor each,
 * and the soft limit is often 1,024. The shell `exec`s it, so the child's pid is the command's.
 */
export function withAllOpenFiles(command: string, args: string[]): { command: string; args: string[] } {
  return { command: 'sh', args: ['-c', 'ulimit -Sn "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', command, ...args] };
}

/** Pins a running process and all its threads to the given cores (children inherit it). */
export function pin(pid: number, cores: string) {
  spawnSync('taskset', ['-apc', cores, String(pid)], { stdio: 'ignore' });
}

/**
 * A throwaway Postgres (embedded, free port, folder in /tmp) and Redis (free port), migrated and
 * seeded like the tests, plus the bench population. Both run on the load core, away from the
 * systems under test.
 */
export async function startInfra(options: PopulationOptions & { loadCore: string; log: (line: string) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'homeroom-bench-'));
  const pg = await startEmbeddedPostgres({
    dataDir: join(dir, 'pg'),
    port: await getFreePort(),
    database: 'bench',
    ephemeral: true,
  });
  const redis = await startRedisServer().catch(async (error) => {
    await pg.stop();
    throw error;
  });
  const stop = async () => {
    await redis.stop().catch(() => {});
    await pg.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const postmaster = Number(readFileSync(join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    pin(postmaster, options.loadCore);
    for (const pid of findPids(`redis-server 127.0.0.1:${redis.port}`)) pin(pid, options.loadCore);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    // Postgres backends forked before the pin (the initial ones) keep their old mask: re-pin them.
    for (const row of await sql<{ pid: number }[]>`select pid from pg_stat_activity`) pin(row.pid, options.loadCore);
    await migrate(pg.url);
    await seed(pg.url);
    const population = await createPopulation(sql, options);
    // Statistics for what the seed and the population just bulk-loaded (tens of thousands of outbox
    // rows among them), as autovacuum would have them within a minute or so: without them the
    // planner guesses a third of the outbox for outbox_order()'s `xid >= …` and scans it all on
    // every call — ~5 ms of Postgres per event for whichever system ran first (issue 17: Homeroom,
    // which ran before raw ws, seemed to cost Postgres 4× raw ws's per delivery).
    await sql`analyze`;
    await sql.end();
    options.log(
      `postgres ${pg.url} (pid ${postmaster}), redis ${redis.url}; ${population.staff.length} subscribers over ${population.courses.length} courses`,
    );
    return { databaseUrl: pg.url, redisUrl: redis.url, postmasterPid: postmaster, population, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The bench school, inserted with SQL: passwords are never checked (tokens are minted directly). */
async function createPopulation(sql: postgres.Sql, o: PopulationOptions): Promise<Population> {
  // The lecture is the last course created: index `o.courses`, outside `courses`.
  const all = (
    await sql<{ id: string }[]>`
      insert into courses (code, title) select 'BENCH' || g, 'Bench course ' || g from generate_series(0, ${o.courses}) g
      returning id`
  ).map((r) => r.id);
  const courses = all.slice(0, o.courses);
  const lectureId = all[o.courses];
  const staff = await instructors(sql, 'bench-staff', o.staff, o.courses);
  await sql`
    insert into teaching_assignments (course_id, instructor_id)
    select (${courses}::uuid[])[s.course_index + 1], s.id
    from unnest(${staff.map((s) => s.id)}::uuid[], ${staff.map((s) => s.courseIndex)}::int[]) as s(id, course_index)`;
  await sql`
    insert into teaching_assignments (course_id, instructor_id)
    select ${lectureId}, id from unnest(${staff.slice(0, o.lectureStaff ?? 0).map((s) => s.id)}::uuid[]) as id`;
  const manyStaff = await instructors(sql, 'bench-many', o.manyStaff?.count ?? 0, o.courses);
  const coursesEach = Math.min(o.manyStaff?.coursesEach ?? 1, o.courses);
  const taught = manyStaff.flatMap((s) =>
    Array.from({ length: coursesEach }, (_, j) => ({ id: s.id, course: courses[(s.courseIndex + j) % o.courses] })),
  );
  // Without triggers: ~2 outbox rows per assignment (membership, courseChanged) would put 200,000
  // events in the outbox that the relay-read measurement (outbox-reads.ts) would read with the run's.
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`
      insert into teaching_assignments (course_id, instructor_id)
      select course, id from unnest(${taught.map((t) => t.course)}::uuid[], ${taught.map((t) => t.id)}::uuid[]) as t(course, id)`;
  });
  const grades: string[][] = [];
  for (const [i, courseId] of all.entries()) {
    const assessments = await sql<{ id: string }[]>`
      insert into assessments (course_id, title, kind, max_score)
      select ${courseId}, 'Bench quiz ' || g, 'QUIZ', 100 from generate_series(1, ${o.assessmentsPerCourse}) g returning id`;
    const students = await sql<{ id: string }[]>`
      insert into users (email, name, role, password_hash)
      select 'bench-student-' || ${i} || '-' || g || '@bench.test', 'Bench Student ' || g, 'STUDENT', 'bench-no-login'
      from generate_series(0, ${o.studentsPerCourse - 1}) g returning id`;
    await sql`insert into enrolments (course_id, student_id) select ${courseId}, id from unnest(${students.map((s) => s.id)}::uuid[]) as id`;
    const rows = await sql<{ id: string }[]>`
      insert into grades (assessment_id, course_id, student_id, score)
      select a, ${courseId}, s, 50 from unnest(${assessments.map((a) => a.id)}::uuid[]) as a, unnest(${students.map((s) => s.id)}::uuid[]) as s
      returning id`;
    grades.push(rows.map((r) => r.id));
  }
  return {
    courses,
    staff,
    grades: grades.slice(0, o.courses),
    lecture: { courseId: lectureId, grades: grades[o.courses] },
    manyStaff,
  };
}

/** `count` instructors named `<prefix>-<n>`, each with a session; course index n % courses. */
async function instructors(sql: postgres.Sql, prefix: string, count: number, courses: number) {
  if (count === 0) return [];
  const rows = await sql<{ id: string; n: number }[]>`
    insert into users (email, name, role, password_hash)
    select ${prefix}::text || '-' || g || '@bench.test', 'Bench Staff ' || g, 'INSTRUCTOR', 'bench-no-login' from generate_series(0, ${count - 1}) g
    returning id, substring(email from '-(\\d+)@')::int as n`;
  const sessionRows = await sql<{ id: string; user_id: string }[]>`
    insert into sessions (user_id, user_agent) select id, 'bench' from unnest(${rows.map((r) => r.id)}::uuid[]) as id
    returning id, user_id`;
  const sessionOf = new Map(sessionRows.map((r) => [r.user_id, r.id]));
  return rows
    .sort((a, b) => a.n - b.n)
    .map((r) => ({ id: r.id, courseIndex: r.n % courses, sessionId: sessionOf.get(r.id)! }));
}
