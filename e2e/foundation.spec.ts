import { expect, test } from '@playwright/test';
import {
  apiLogin,
  emailOf,
  formatPercent,
  gql,
  loginThroughForm,
  PASSWORD,
  shot,
  signedInPage,
  slug,
} from './fixtures';

type CourseFacts = {
  id: string;
  code: string;
  assessments: { id: string; title: string; maxScore: number; weight: number }[];
  students: { id: string; email: string; name: string }[];
};

/** The instructor's course in which student@homeroom.test is enrolled, read through the API. */
async function sharedCourse(): Promise<CourseFacts> {
  const { token } = await apiLogin('instructor');
  const { courses } = await gql<{ courses: CourseFacts[] }>(
    `{ courses { id code assessments { id title maxScore weight } students { id email name } } }`,
    {},
    token,
  );
  const course = courses.find((c) => c.students.some((s) => s.email === emailOf('student')));
  if (!course) throw new Error('seed: the instructor teaches no course with student@homeroom.test');
  return course;
}

async function myStanding(courseId: string): Promise<number | null> {
  const { token } = await apiLogin('student');
  const { course } = await gql<{ course: { myStanding: { average: number | null } | null } }>(
    `query ($id: ID!) { course(id: $id) { myStanding { average } } }`,
    { id: courseId },
    token,
  );
  return course.myStanding?.average ?? null;
}

test('a wrong password shows an error and stays on the login page', async ({ page }) => {
  await loginThroughForm(page, emailOf('student'), 'not-the-password');
  await expect(page.getByRole('region', { name: 'Sign in to Homeroom' }).getByRole('alert')).toContainText(
    /wrong email or password/i,
  );
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  await page.screenshot({ path: shot('login-error') });
});

test('each role signs in and lands on its own dashboard', async ({ page }) => {
  const expectations = [
    { role: 'student', heading: 'My courses', fact: 'Standing' },
    { role: 'instructor', heading: 'Courses I teach', fact: 'Students' },
    { role: 'admin', heading: 'All courses', fact: 'Students' },
  ] as const;
  for (const { role, heading, fact } of expectations) {
    await loginThroughForm(page, emailOf(role), PASSWORD);
    await expect(page.getByRole('heading', { name: heading })).toBeVisible();
    await expect(page.locator('.course-card').first()).toContainText(fact);
    await expect(page.getByTestId('connection-status')).toBeAttached();
    if (role === 'admin') {
      await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
      await expect(page.getByRole('form', { name: 'New course' })).toBeVisible();
    }
    await page.screenshot({ path: shot(`dashboard-${role}`), fullPage: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login/);
  }
});

test('the instructor records a grade that the student then sees, with a new standing', async ({ browser }) => {
  const course = await sharedCourse();
  const assessment =
    course.assessments.find((a) => /midterm/i.test(a.title) && a.weight > 0) ??
    course.assessments.find((a) => a.weight > 0)!;
  const student = course.students.find((s) => s.email === emailOf('student'))!;
  const before = await myStanding(course.id);

  const teacher = await signedInPage(browser, 'instructor');
  await teacher.getByRole('link', { name: new RegExp(course.code) }).click();
  await expect(teacher.getByRole('tab', { name: 'Grades' })).toHaveAttribute('aria-selected', 'true');
  const cell = teacher.getByRole('spinbutton', { name: `${assessment.title} score for ${student.name}` });
  await expect(cell).toBeVisible();

  // A score above the maximum is refused, and the refusal is shown next to the cell.
  await cell.fill(String(assessment.maxScore + 50));
  await cell.press('Enter');
  await expect(cell).toHaveAttribute('aria-invalid', 'true');
  await expect(cell.locator('..').getByRole('alert')).toContainText(String(assessment.maxScore));
  await teacher.screenshot({ path: shot('grade-sheet-error') });
  await cell.press('Escape');

  // A score unlike the current one, so the standing must move.
  const current = await cell.inputValue();
  let score = Math.max(1, Math.floor(assessment.maxScore * 0.37));
  if (String(score) === current) score += 1;
  await cell.fill(String(score));
  await cell.blur();
  await expect(cell.locator('..')).toHaveAttribute('data-state', 'saved');
  await expect(cell).not.toHaveAttribute('aria-invalid', 'true');
  await teacher.screenshot({ path: shot('grade-sheet-saved') });

  // Stored: a reload shows it.
  await teacher.reload();
  await expect(teacher.getByRole('spinbutton', { name: `${assessment.title} score for ${student.name}` })).toHaveValue(
    String(score),
  );
  const after = await myStanding(course.id);
  expect(after).not.toBe(before);
  await expect(teacher.getByTestId(`row-${student.email}`).getByTestId('standing-average')).toContainText(
    formatPercent(after),
  );
  await teacher.context().close();

  // The student sees the grade and the new standing.
  const pupil = await signedInPage(browser, 'student');
  await expect(pupil.getByTestId(`course-${course.code}`).getByTestId('standing-average')).toHaveText(
    formatPercent(after),
  );
  await pupil.getByRole('link', { name: new RegExp(course.code) }).click();
  const gradeCell = pupil.getByTestId(`grade-${slug(assessment.title)}`);
  await expect(gradeCell).toContainText(String(score));
  await expect(pupil.getByTestId('my-standing').getByTestId('standing-average')).toHaveText(formatPercent(after));
  await pupil.screenshot({ path: shot('student-grades'), fullPage: true });
  await pupil.context().close();
});

test('a student cannot see the grade sheet', async ({ browser }) => {
  const course = await sharedCourse();
  const pupil = await signedInPage(browser, 'student');
  await pupil.goto(`/courses/${course.id}`);
  await expect(pupil.getByTestId('my-standing')).toBeVisible();
  await expect(pupil.getByTestId('grade-sheet')).toHaveCount(0);
  await expect(pupil.getByRole('spinbutton')).toHaveCount(0);
  await expect(pupil.getByRole('button', { name: 'Add assessment' })).toHaveCount(0);

  // Nor through the API: the class list is staff-only.
  const { token } = await apiLogin('student');
  await expect(
    gql(`query ($id: ID!) { course(id: $id) { students { id } } }`, { id: course.id }, token),
  ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  await pupil.context().close();
});
