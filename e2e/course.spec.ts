import { expect, test } from '@playwright/test';
import { apiLogin, emailOf, gql, shot, signedInPage } from './fixtures';

/** The course the instructor teaches with student@homeroom.test in it (read through the API). */
async function sharedCourse() {
  const { token } = await apiLogin('instructor');
  const { courses } = await gql<{
    courses: { id: string; code: string; students: { email: string; name: string }[] }[];
  }>(`{ courses { id code students { email name } } }`, {}, token);
  const course = courses.find((c) => c.students.some((s) => s.email === emailOf('student')))!;
  return { ...course, student: course.students.find((s) => s.email === emailOf('student'))! };
}

test('instructor: marks attendance, opens and closes a poll, adds an assessment and a session, posts an announcement', async ({
  browser,
}) => {
  const course = await sharedCourse();
  const run = Date.now().toString(36);
  const page = await signedInPage(browser, 'instructor');
  await page.goto(`/courses/${course.id}?tab=attendance`);

  // Attendance: the status is saved and survives a reload.
  const sessionSelect = page.getByRole('combobox', { name: 'Session', exact: true });
  const session = (await sessionSelect.locator('option:checked').textContent())!;
  const marks = page.getByRole('group', { name: `Attendance for ${course.student.name}` });
  const next = (await marks.getByRole('radio', { name: 'Late' }).isChecked()) ? 'Present' : 'Late';
  await marks.getByTitle(next).click();
  await expect(marks.getByRole('radio', { name: next })).toBeChecked();
  await page.screenshot({ path: shot('instructor-attendance'), fullPage: true });
  await page.reload();
  await sessionSelect.selectOption({ label: session });
  await expect(marks.getByRole('radio', { name: next })).toBeChecked();

  // A new session joins the list.
  await page.getByRole('button', { name: 'Add session' }).click();
  await page.getByRole('textbox', { name: 'Title' }).fill(`Lab ${run}`);
  await page.getByRole('button', { name: 'Create session' }).click();
  await expect(sessionSelect).toContainText(`Lab ${run}`);

  // Polls: a new poll appears at the top, then closes.
  await page.getByRole('tab', { name: 'Polls' }).click();
  await page.getByRole('button', { name: 'New poll' }).click();
  const question = `Field trip day? ${run}`;
  await page.getByLabel('Question').fill(question);
  await page.getByLabel('Option 1').fill('Monday');
  await page.getByLabel('Option 2').fill('Friday');
  await page.getByRole('button', { name: 'Open poll' }).click();
  const poll = page.getByRole('article', { name: question });
  await expect(poll).toContainText('Open');
  await expect(page.getByTestId('poll').first()).toContainText(question);
  await poll.getByRole('button', { name: 'Close poll' }).click();
  await expect(poll).toContainText('Closed');
  await page.screenshot({ path: shot('instructor-polls'), fullPage: true });

  // Grades: a new assessment becomes a column of inputs.
  await page.getByRole('tab', { name: 'Grades' }).click();
  await page.getByRole('button', { name: 'Add assessment' }).click();
  await page.getByRole('textbox', { name: 'Title' }).fill(`Quiz ${run}`);
  await page.getByRole('button', { name: 'Create assessment' }).click();
  await expect(page.getByRole('spinbutton', { name: `Quiz ${run} score for ${course.student.name}` })).toBeVisible();

  // Feed: an announcement appears at the top.
  await page.getByRole('tab', { name: 'Feed' }).click();
  await page.getByRole('textbox', { name: 'New post' }).fill(`Bring a calculator tomorrow (${run})`);
  await page.getByRole('checkbox', { name: /Announcement/ }).check();
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await expect(page.getByTestId('post').first()).toContainText(`Bring a calculator tomorrow (${run})`);
  await expect(page.getByTestId('post').first()).toContainText('Announcement');
  await page.screenshot({ path: shot('instructor-feed'), fullPage: true });
  await page.context().close();
});

test('student: sees attendance, votes with an instant ballot, posts and comments in the feed', async ({ browser }) => {
  const course = await sharedCourse();
  const run = Date.now().toString(36);
  const page = await signedInPage(browser, 'student');
  await page.goto(`/courses/${course.id}?tab=attendance`);
  await expect(page.getByTestId('my-attendance-totals')).toBeVisible();
  await expect(page.getByRole('group', { name: /Attendance for/ })).toHaveCount(0);
  await page.screenshot({ path: shot('student-attendance'), fullPage: true });

  await page.getByRole('tab', { name: 'Polls' }).click();
  const open = page.getByTestId('poll').filter({ hasText: 'Open' }).first();
  await expect(open).toBeVisible();
  const choices = open.getByRole('button', { name: /^Vote for/ });
  const pressed = await choices.evaluateAll((els) => els.findIndex((e) => e.getAttribute('aria-pressed') === 'true'));
  const choice = choices.nth(pressed === 0 ? 1 : 0);
  await choice.click();
  await expect(choice).toHaveAttribute('aria-pressed', 'true');
  await expect(open).toContainText('Your vote');
  await page.screenshot({ path: shot('student-polls'), fullPage: true });

  await page.getByRole('tab', { name: 'Feed' }).click();
  await expect(page.getByRole('checkbox', { name: /Announcement/ })).toHaveCount(0);
  await page.getByRole('textbox', { name: 'New post' }).fill(`Is the homework due Friday? (${run})`);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  const post = page.getByTestId('post').first();
  await expect(post).toContainText(`Is the homework due Friday? (${run})`);
  await post.getByRole('textbox', { name: /Comment on/ }).fill(`Answering myself: yes (${run})`);
  await post.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(post).toContainText(`Answering myself: yes (${run})`);
  await page.screenshot({ path: shot('student-feed'), fullPage: true });

  await page.getByRole('link', { name: 'Notifications', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  await expect(page.getByText(/All caught up|unread/)).toBeVisible();
  // Marking one read lowers the bell's count (announcements and polls notify the student).
  const bell = page.getByTestId('notification-bell');
  await expect(bell).toHaveAttribute('aria-label', /\d+ unread/);
  const unread = Number((await bell.getAttribute('aria-label'))!.match(/(\d+) unread/)![1]);
  if (unread > 0) {
    await page
      .getByRole('button', { name: /^Mark “.*” as read$/ })
      .first()
      .click();
    await expect(bell).toHaveAttribute('aria-label', `Notifications, ${unread - 1} unread`);
  }
  await page.screenshot({ path: shot('student-notifications'), fullPage: true });
  await page.context().close();
});

test('a course the viewer may not see shows a clear message', async ({ browser }) => {
  const page = await signedInPage(browser, 'student');
  await page.goto('/courses/00000000-0000-0000-0000-000000000000');
  await expect(page.getByRole('alert').filter({ hasText: /does not exist|access/ })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to the dashboard' })).toBeVisible();
  await page.context().close();
});
