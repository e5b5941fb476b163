import { eq, sql } from 'drizzle-orm';
import { createDatabase, type Database } from './client';
import { hashPassword } from './passwords';
import {
  assessments,
  attendanceRecords,
  ballots,
  classSessions,
  comments,
  courses,
  enrolments,
  grades,
  pollOptions,
  polls,
  posts,
  teachingAssignments,
  users,
} from './schema';

export const DEMO_PASSWORD = 'homeroom';
export const DEMO_LOGINS = {
  admin: 'admin@homeroom.test',
  instructor: 'instructor@homeroom.test',
  student: 'student@homeroom.test',
} as const;

const FIRST = [
  'Ada',
  'Alan',
  'Barbara',
  'Claude',
  'Dorothy',
  'Edsger',
  'Frances',
  'Grace',
  'Hedy',
  'Ivan',
  'Joan',
  'Ken',
  'Lynn',
  'Margaret',
  'Niklaus',
  'Olga',
  'Peter',
  'Radia',
  'Sophie',
  'Tim',
  'Ursula',
  'Vint',
  'Wendy',
  'Yukihiro',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Liskov',
  'Shannon',
  'Vaughan',
  'Dijkstra',
  'Allen',
  'Hopper',
  'Lamarr',
  'Sutherland',
  'Clarke',
  'Thompson',
  'Conway',
  'Hamilton',
  'Wirth',
  'Taussky',
  'Naur',
  'Perlman',
  'Wilson',
  'Berners-Lee',
  'Franklin',
  'Cerf',
  'Hall',
  'Matsumoto',
];

const DAY = 24 * 60 * 60 * 1000;

/** Seeds the demo school once; later calls see the admin account and do nothing. */
export async function seed(databaseUrl: string): Promise<{ seeded: boolean }> {
  const { db, stop } = createDatabase(databaseUrl, { max: 2 });
  try {
    const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, DEMO_LOGINS.admin));
    if (existing) return { seeded: false };
    await db.transaction(async (tx) => {
      // The school exists before anyone reads notifications: "you were enrolled" and "new assessment"
      // for every seeded row would only bury the demo's real ones (the triggers skip them while seeding).
      await tx.execute(sql`select set_config('homeroom.seeding', 'on', true)`);
      await seedDemo(tx as unknown as Database);
    });
    return { seeded: true };
  } finally {
    await stop();
  }
}

async function seedDemo(db: Database) {
  const people = [
    { email: DEMO_LOGINS.admin, name: 'Avery Admin', role: 'ADMIN' as const },
    { email: DEMO_LOGINS.instructor, name: 'Irene Instructor', role: 'INSTRUCTOR' as const },
    { email: 'instructor2@homeroom.test', name: 'Isaac Instructor', role: 'INSTRUCTOR' as const },
    { email: DEMO_LOGINS.student, name: 'Sam Student', role: 'STUDENT' as const },
    ...FIRST.map((first, i) => ({
      email: `student${String(i + 1).padStart(2, '0')}@homeroom.test`,
      name: `${first} ${LAST[i]}`,
      role: 'STUDENT' as const,
    })),
  ];
  // Each account gets its own salt; hashing in parallel uses libuv's thread pool.
  const hashed = await Promise.all(
    people.map(async (p) => ({ ...p, passwordHash: await hashPassword(DEMO_PASSWORD) })),
  );
  const rows = await db.insert(users).values(hashed).returning();
  const byEmail = new Map(rows.map((u) => [u.email, u]));
  const user = (email: string) => byEmail.get(email)!;
  const others = rows.filter((u) => u.email.startsWith('student') && u.email !== DEMO_LOGINS.student);

  const [math, history, physics] = await db
    .insert(courses)
    .values([
      { code: 'MATH101', title: 'Algebra I' },
      { code: 'HIST201', title: 'Modern History' },
      { code: 'PHYS110', title: 'Physics Lab' },
    ])
    .returning();

  await db.insert(teachingAssignments).values([
    { courseId: math.id, instructorId: user(DEMO_LOGINS.instructor).id },
    { courseId: history.id, instructorId: user('instructor2@homeroom.test').id },
    { courseId: physics.id, instructorId: user('instructor2@homeroom.test').id },
  ]);
  const sam = user(DEMO_LOGINS.student);
  await db
    .insert(enrolments)
    .values([
      ...[sam, ...others].map((s) => ({ courseId: math.id, studentId: s.id })),
      ...[sam, ...others.slice(0, 10)].map((s) => ({ courseId: history.id, studentId: s.id })),
      ...others.slice(10, 20).map((s) => ({ courseId: physics.id, studentId: s.id })),
    ]);

  const now = Date.now();
  for (const [course, students] of [
    [math, [sam, ...others]],
    [history, [sam, ...others.slice(0, 10)]],
    [physics, others.slice(10, 20)],
  ] as const) {
    const [midterm, quiz, homework] = await db
      .insert(assessments)
      .values([
        {
          courseId: course.id,
          title: 'Midterm',
          kind: 'EXAM',
          maxScore: 100,
          weight: 3,
          dueAt: new Date(now + 14 * DAY),
        },
        { courseId: course.id, title: 'Quiz 1', kind: 'QUIZ', maxScore: 10, weight: 1, dueAt: new Date(now - 7 * DAY) },
        {
          courseId: course.id,
          title: 'Homework 1',
          kind: 'ASSIGNMENT',
          maxScore: 20,
          weight: 1,
          dueAt: new Date(now - 3 * DAY),
        },
        { courseId: course.id, title: 'Participation', kind: 'MERIT', maxScore: 5, weight: 0 },
      ])
      .returning();
    void midterm;
    // Quiz and homework are graded for everyone; the midterm is left for the instructor to grade.
    await db.insert(grades).values(
      students.flatMap((s, i) => [
        { assessmentId: quiz.id, courseId: course.id, studentId: s.id, score: 5 + ((i * 3) % 6) },
        { assessmentId: homework.id, courseId: course.id, studentId: s.id, score: 12 + ((i * 5) % 9) },
      ]),
    );

    const sessions = await db
      .insert(classSessions)
      .values(
        [-14, -7, -2, 2, 7].map((d, i) => ({
          courseId: course.id,
          title: `Lesson ${i + 1}`,
          startsAt: new Date(now + d * DAY),
        })),
      )
      .returning();
    const statuses = ['PRESENT', 'PRESENT', 'PRESENT', 'LATE', 'ABSENT', 'EXCUSED'] as const;
    await db.insert(attendanceRecords).values(
      sessions.slice(0, 2).flatMap((session, j) =>
        students.map((s, i) => {
          const status = statuses[(i + j) % statuses.length];
          const attended = status === 'PRESENT' || status === 'LATE';
          return {
            sessionId: session.id,
            courseId: course.id,
            studentId: s.id,
            status,
            checkedInAt: attended ? session.startsAt : null,
          };
        }),
      ),
    );

    const [poll] = await db
      .insert(polls)
      .values({ courseId: course.id, question: 'When should we hold the review session?' })
      .returning();
    const options = await db
      .insert(pollOptions)
      .values(
        ['Monday after class', 'Wednesday lunch', 'Friday morning'].map((label, position) => ({
          pollId: poll.id,
          label,
          position,
        })),
      )
      .returning();
    await db.insert(ballots).values(
      students.slice(1, 8).map((s, i) => ({
        pollId: poll.id,
        courseId: course.id,
        optionId: options[i % options.length].id,
        voterId: s.id,
      })),
    );

    const teacher = course.id === math.id ? user(DEMO_LOGINS.instructor) : user('instructor2@homeroom.test');
    const [welcome] = await db
      .insert(posts)
      .values({
        courseId: course.id,
        authorId: teacher.id,
        body: `Welcome to ${course.title}! The syllabus is pinned in the first lesson.`,
        announcement: true,
        createdAt: new Date(now - 10 * DAY),
      })
      .returning();
    await db.insert(posts).values({
      courseId: course.id,
      authorId: students[1].id,
      body: 'Is anyone forming a study group for the midterm?',
      createdAt: new Date(now - 2 * DAY),
    });
    await db.insert(comments).values([
      { postId: welcome.id, courseId: course.id, authorId: students[0].id, body: 'Thanks, looking forward to it!' },
      { postId: welcome.id, courseId: course.id, authorId: students[2].id, body: 'Where do we hand in homework?' },
    ]);
  }
}
