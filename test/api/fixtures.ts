import type postgres from 'postgres';

export type CourseFixture = {
  id: string;
  code: string;
  title: string;
  /** Enrolled student ids. */
  studentIds: string[];
  instructorIds: string[];
  /** By title: Midterm, Quiz 1, Homework 1, Participation. */
  assessments: Record<string, { id: string; maxScore: number; weight: number }>;
  /** By title: Lesson 1 … Lesson 5 (1–3 have started, 4–5 are in the future). */
  sessions: Record<string, string>;
  /** The seeded open poll and its options by label. */
  poll: { id: string; options: Record<string, string> };
  /** Seeded posts: the instructor's welcome announcement and a student's question. */
  posts: { welcome: string; question: string };
};

export type Fixtures = {
  /** User id by email. */
  users: Record<string, string>;
  /** User ids by email, throwing on a typo. */
  user(email: string): string;
  course(code: 'MATH101' | 'HIST201' | 'PHYS110'): CourseFixture;
};

/** Reads the ids the demo seed generated, so tests can refer to rows by the names in db/seed.ts. */
export async function loadFixtures(sql: postgres.Sql): Promise<Fixtures> {
  const users = Object.fromEntries(
    (await sql<{ id: string; email: string }[]>`select id, email from users`).map((u) => [u.email, u.id]),
  );
  const courses = new Map<string, CourseFixture>();
  for (const c of await sql<{ id: string; code: string; title: string }[]>`select id, code, title from courses`) {
    const ids = async (query: Promise<{ id: string }[]>) => (await query).map((r) => r.id);
    const [welcome] = await sql<
      { id: string }[]
    >`select id from posts where course_id = ${c.id} and announcement order by created_at limit 1`;
    const [question] = await sql<
      { id: string }[]
    >`select id from posts where course_id = ${c.id} and not announcement order by created_at limit 1`;
    const [poll] = await sql<
      { id: string }[]
    >`select id from polls where course_id = ${c.id} order by created_at limit 1`;
    courses.set(c.code, {
      ...c,
      studentIds: await ids(sql`select student_id as id from enrolments where course_id = ${c.id}`),
      instructorIds: await ids(sql`select instructor_id as id from teaching_assignments where course_id = ${c.id}`),
      assessments: Object.fromEntries(
        (
          await sql<{ id: string; title: string; max_score: number; weight: number }[]>`
          select id, title, max_score, weight from assessments where course_id = ${c.id}`
        ).map((a) => [a.title, { id: a.id, maxScore: Number(a.max_score), weight: Number(a.weight) }]),
      ),
      sessions: Object.fromEntries(
        (
          await sql<{ id: string; title: string }[]>`select id, title from class_sessions where course_id = ${c.id}`
        ).map((s) => [s.title, s.id]),
      ),
      poll: {
        id: poll.id,
        options: Object.fromEntries(
          (
            await sql<{ id: string; label: string }[]>`select id, label from poll_options where poll_id = ${poll.id}`
          ).map((o) => [o.label, o.id]),
        ),
      },
      posts: { welcome: welcome.id, question: question.id },
    });
  }
  return {
    users,
    user(email) {
      const id = users[email];
      if (!id) throw new Error(`no seeded user ${email}`);
      return id;
    },
    course(code) {
      const course = courses.get(code);
      if (!course) throw new Error(`no seeded course ${code}`);
      return course;
    },
  };
}
