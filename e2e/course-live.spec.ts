import { expect, type Page, test } from '@playwright/test';
import { apiLogin, formatPercent, gql, signedInPage } from './fixtures';
import { mathCourse, waitLive } from './live';

// The whole course is live (issue 11), two browsers each: what staff change in a course reaches
// the people it concerns at once — standings after a weight change, a new session time, a course
// gained or lost on the dashboard, the class statistics.

const tab = (courseId: string, name: string) => `/courses/${courseId}?tab=${name}`;
const closeAll = (...pages: Page[]) => Promise.all(pages.map((p) => p.context().close()));

async function standing(email: string, courseId: string): Promise<number | null> {
  const { token } = await apiLogin(email as `${string}@${string}`);
  const { course } = await gql<{ course: { myStanding: { average: number | null } | null } }>(
    `query ($id: ID!) { course(id: $id) { myStanding { average } } }`,
    { id: courseId },
    token,
  );
  return course.myStanding?.average ?? null;
}

async function classAverage(courseId: string): Promise<number | null> {
  const { token } = await apiLogin('instructor');
  const { course } = await gql<{ course: { stats: { classAverage: number | null } } }>(
    `query ($id: ID!) { course(id: $id) { stats { classAverage } } }`,
    { id: courseId },
    token,
  );
  return course.stats.classAverage;
}

/** A student of nobody's course yet, made for one test (so other specs' students stay as they are). */
async function freshStudent(name: string) {
  const { token } = await apiLogin('admin');
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${Date.now()}@homeroom.test`;
  const { createUser } = await gql<{ createUser: { id: string; email: string; name: string } }>(
    `mutation ($email: String!, $name: String!) {
      createUser(email: $email, name: $name, role: STUDENT, password: "homeroom") { id email name }
    }`,
    { email, name },
    token,
  );
  return { ...createUser, adminToken: token };
}

async function physicsId(token: string) {
  const { courses } = await gql<{ courses: { id: string; code: string }[] }>(`{ courses { id code } }`, {}, token);
  return courses.find((c) => c.code === 'PHYS110')!.id;
}

test('a weight change in the grade sheet moves the student’s standing, live', async ({ browser }) => {
  const course = await mathCourse();
  const quiz = course.assessment('Quiz 1');
  const { token } = await apiLogin('instructor');
  const { course: before } = await gql<{ course: { assessments: { id: string; weight: number }[] } }>(
    `query ($id: ID!) { course(id: $id) { assessments { id weight } } }`,
    { id: course.id },
    token,
  );
  const weight = before.assessments.find((a) => a.id === quiz.id)!.weight;
  const [teacher, student] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'grades') }),
    signedInPage(browser, 'student', { path: tab(course.id, 'grades') }),
  ]);
  try {
    await Promise.all([teacher, student].map((p) => waitLive(p)));
    const was = await standing('student@homeroom.test', course.id);
    const shown = student.getByTestId('my-standing').getByTestId('standing-average');
    await expect(shown).toHaveText(formatPercent(was));

    await teacher.getByRole('button', { name: 'Options for Quiz 1' }).click();
    const form = teacher.getByRole('form', { name: 'Edit Quiz 1' });
    await form.getByLabel('Weight').fill(String(weight * 10));
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(teacher.getByTestId('column-Quiz 1')).toContainText(`w ${weight * 10}`);

    const now = await standing('student@homeroom.test', course.id);
    expect(now).not.toBe(was);
    await expect(shown).toHaveText(formatPercent(now), { timeout: 5_000 });
  } finally {
    await gql(
      `mutation ($id: ID!, $w: Float!) { updateAssessment(id: $id, weight: $w) { id } }`,
      {
        id: quiz.id,
        w: weight,
      },
      token,
    );
    await closeAll(teacher, student);
  }
});

test('a reschedule shows the student the new time and a toast', async ({ browser }) => {
  const course = await mathCourse();
  const [teacher, student] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'attendance') }),
    signedInPage(browser, 'student', { path: tab(course.id, 'attendance') }),
  ]);
  try {
    await Promise.all([teacher, student].map((p) => waitLive(p)));
    const lessonId = await teacher
      .getByLabel('Session')
      .locator('option', { hasText: 'Lesson 5' })
      .getAttribute('value');
    await teacher.getByLabel('Session').selectOption(lessonId!);
    await teacher.getByRole('button', { name: 'Reschedule' }).click();
    const form = teacher.getByRole('form', { name: 'Reschedule Lesson 5' });
    const local = `2031-03-04T10:${String(10 + Math.floor(Math.random() * 40)).padStart(2, '0')}`;
    await form.getByLabel('Starts at').fill(local);
    await form.getByRole('button', { name: 'Save' }).click();

    const expected = await student.evaluate(
      (value) => new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
      local,
    );
    await expect(student.getByTestId('session-time-Lesson 5')).toHaveText(expected, { timeout: 5_000 });
    await expect(student.getByTestId('toast').filter({ hasText: 'MATH101 · Rescheduled: Lesson 5' })).toBeVisible();
  } finally {
    await closeAll(teacher, student);
  }
});

test('an enrolment adds the course to the student’s dashboard', async ({ browser }) => {
  const newcomer = await freshStudent('Nora Newcomer');
  const [admin, student] = await Promise.all([
    signedInPage(browser, 'admin'),
    signedInPage(browser, newcomer.email as `${string}@${string}`),
  ]);
  try {
    await Promise.all([admin, student].map((p) => waitLive(p)));
    await expect(student.getByText('You are not enrolled in any course yet.')).toBeVisible();
    const enrol = admin.getByRole('form', { name: 'Enrol a student' });
    await enrol.getByLabel('Course').selectOption({ label: 'PHYS110 — Physics Lab' });
    await enrol.getByLabel('Student').selectOption({ label: `${newcomer.name} (${newcomer.email})` });
    await enrol.getByRole('button', { name: 'Enrol' }).click();
    await expect(student.getByTestId('course-PHYS110')).toBeVisible({ timeout: 5_000 });
  } finally {
    await closeAll(admin, student);
  }
});

test('an unenrolment removes the course from the dashboard and the open course page says access ended', async ({
  browser,
}) => {
  const leaver = await freshStudent('Lee Leaver');
  const physics = await physicsId(leaver.adminToken);
  await gql(
    `mutation ($c: ID!, $s: ID!) { enrolStudent(courseId: $c, studentId: $s) { id } }`,
    { c: physics, s: leaver.id },
    leaver.adminToken,
  );
  const who = leaver.email as `${string}@${string}`;
  const [admin, dashboard, coursePage] = await Promise.all([
    signedInPage(browser, 'admin'),
    signedInPage(browser, who),
    signedInPage(browser, who, { path: tab(physics, 'feed') }),
  ]);
  try {
    await Promise.all([admin, dashboard, coursePage].map((p) => waitLive(p)));
    await expect(dashboard.getByTestId('course-PHYS110')).toBeVisible();
    await expect(coursePage.getByRole('heading', { name: 'Feed' })).toBeVisible();

    const members = admin.getByRole('region', { name: 'Course members' });
    await members.getByLabel('Course').selectOption(physics);
    await members.getByRole('button', { name: `Unenrol ${leaver.name}` }).click();

    await expect(dashboard.getByTestId('course-PHYS110')).toHaveCount(0, { timeout: 5_000 });
    await expect(dashboard.getByText('You are not enrolled in any course yet.')).toBeVisible();
    await expect(coursePage.getByTestId('access-ended')).toHaveText('Your access to this course has ended.', {
      timeout: 5_000,
    });
  } finally {
    await closeAll(admin, dashboard, coursePage);
  }
});

test('the instructor’s class statistics move as a grade is recorded', async ({ browser }) => {
  const course = await mathCourse();
  const midterm = course.assessment('Midterm');
  const sam = course.student('student');
  const [teacher, admin] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'grades') }),
    signedInPage(browser, 'admin', { path: tab(course.id, 'grades') }),
  ]);
  try {
    await Promise.all([teacher, admin].map((p) => waitLive(p)));
    const stats = teacher.getByTestId('course-stats');
    const was = await classAverage(course.id);
    await expect(stats.getByTestId('class-average')).toHaveText(formatPercent(was));
    const graded = Number(await stats.getByTestId('stats-Midterm').getByTestId('graded').textContent());

    // Someone else (the admin) grades a midterm the student had no grade for, or changes it.
    const cell = admin.getByRole('spinbutton', { name: `Midterm score for ${sam.name}` });
    const current = await cell.inputValue();
    const score = current === '3' ? 97 : 3;
    await cell.fill(String(score));
    await cell.press('Enter');

    await expect(stats.getByTestId('stats-Midterm').getByTestId('graded')).toHaveText(
      String(current === '' ? graded + 1 : graded),
      { timeout: 5_000 },
    );
    const now = await classAverage(course.id);
    expect(now).not.toBe(was);
    await expect(stats.getByTestId('class-average')).toHaveText(formatPercent(now));
    expect(midterm.maxScore).toBeGreaterThanOrEqual(97);
  } finally {
    await closeAll(teacher, admin);
  }
});
