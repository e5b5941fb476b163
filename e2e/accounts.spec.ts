import { expect, test } from '@playwright/test';
import { apiLogin, shot, signedInPage } from './fixtures';
import { mathCourse, recordGrade, waitLive } from './live';

// Accounts and sessions: a change of access signs the affected browser out at once, with the
// reason; staff read a grade cell's history.

test('an admin deactivates a signed-in student: the student’s open page is signed out within seconds, saying why', async ({
  browser,
}) => {
  const email = 'student20@homeroom.test';
  const [admin, student] = await Promise.all([
    signedInPage(browser, 'admin', { path: '/admin/users' }),
    signedInPage(browser, email),
  ]);
  await waitLive(student);
  const row = admin.getByTestId(`user-${email}`);
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await expect(row.getByTestId('user-status')).toHaveText('Deactivated');

  await expect(student).toHaveURL(/\/login/);
  await expect(student.getByTestId('signed-out-reason')).toHaveText(/Account deactivated/);
  await student.screenshot({ path: shot('accounts-deactivated-student') });

  // The audit page shows who did it.
  await admin.goto('/admin/audit');
  await expect(admin.getByTestId('audit-entry').first()).toContainText('User deactivated');
  await expect(admin.getByTestId('audit-entry').first()).toContainText(email);

  // Reactivated, the student signs in again.
  await admin.goto('/admin/users');
  await admin.getByTestId(`user-${email}`).getByRole('button', { name: 'Reactivate' }).click();
  await expect(admin.getByTestId(`user-${email}`).getByTestId('user-status')).toHaveText('Active');
  await Promise.all([admin.context().close(), student.context().close()]);
});

test('revoking a session from the sessions page signs that browser out; the current one stays', async ({ browser }) => {
  const email = 'student21@homeroom.test';
  const [laptop, phone] = await Promise.all([
    signedInPage(browser, email, { path: '/account' }),
    signedInPage(browser, email),
  ]);
  await waitLive(phone);
  const others = laptop.getByTestId('session').filter({ hasNot: laptop.getByText('This browser') });
  await expect(laptop.getByTestId('session').filter({ hasText: 'This browser' })).toHaveCount(1);
  // Revoke every other session of this student (the phone's among them).
  for (let left = await others.count(); left > 0; left--) {
    await others.first().getByRole('button', { name: 'Sign out this session' }).click();
    await expect(others).toHaveCount(left - 1);
  }
  await expect(phone).toHaveURL(/\/login/);
  await expect(phone.getByTestId('signed-out-reason')).toHaveText(/Session ended/);
  await expect(laptop.getByTestId('signed-in-user')).toBeVisible();
  await Promise.all([laptop.context().close(), phone.context().close()]);
});

test('an instructor opens a grade cell’s history: every change, by whom; the student reads their own', async ({
  browser,
}) => {
  const course = await mathCourse();
  const email = 'student05@homeroom.test';
  const student = course.student(email);
  const quiz = course.assessment('Quiz 1');
  const { token, user } = await apiLogin('instructor');
  await recordGrade(token, quiz.id, student.id, 6);
  await recordGrade(token, quiz.id, student.id, 8);
  const page = await signedInPage(browser, 'instructor', { path: `/courses/${course.id}?tab=grades` });
  await page.getByRole('button', { name: `History of Quiz 1 for ${student.name}` }).click();
  const history = page.getByTestId('grade-history');
  await expect(history.getByTestId('grade-change').first()).toContainText('6 → 8');
  await expect(history.getByTestId('grade-change').first()).toContainText(`by ${user.name}`);
  await page.screenshot({ path: shot('accounts-grade-history') });

  // The student reads the same trail of their own grade.
  const own = await signedInPage(browser, email, { path: `/courses/${course.id}?tab=grades` });
  await own.getByRole('button', { name: 'History of Quiz 1' }).click();
  await expect(own.getByTestId('grade-history').getByTestId('grade-change').first()).toContainText('6 → 8');
  await Promise.all([page.context().close(), own.context().close()]);
});

test('an admin corrects a user’s name and email in place; the new email signs in', async ({ browser }) => {
  const email = 'student22@homeroom.test';
  const renamed = 'student22.cerf@homeroom.test';
  const admin = await signedInPage(browser, 'admin', { path: '/admin/users' });
  const row = admin.getByTestId(`user-${email}`);
  await row.getByRole('button', { name: 'Edit' }).click();
  await row.getByLabel(`Name of ${email}`).fill('Vinton Cerf');
  await row.getByLabel(`Email of ${email}`).fill(renamed);
  await row.getByRole('button', { name: 'Save' }).click();
  const updated = admin.getByTestId(`user-${renamed}`);
  await expect(updated).toContainText('Vinton Cerf');
  await expect(updated.getByRole('button', { name: 'Edit' })).toBeVisible();
  const { user } = await apiLogin(renamed);
  expect(user).toMatchObject({ name: 'Vinton Cerf', email: renamed });
  await admin.goto('/admin/audit');
  await expect(admin.getByTestId('audit-entry').first()).toContainText(renamed);
  await admin.context().close();
});
