import { expect, test } from '@playwright/test';
import { shot, signedInPage } from './fixtures';

test('admin: creates a course and a student, enrols the student, and sees both listed', async ({ browser }) => {
  const run = Date.now().toString(36).toUpperCase();
  const page = await signedInPage(browser, 'admin');
  const code = `E2E${run}`;

  const courseForm = page.getByRole('form', { name: 'New course' });
  await courseForm.getByLabel('Code').fill(code);
  await courseForm.getByLabel('Title').fill(`Test course ${run}`);
  await courseForm.getByRole('button', { name: 'Create course' }).click();
  await expect(courseForm.getByRole('status')).toHaveText(`Created ${code}.`);
  const card = page.getByTestId(`course-${code}`);
  await expect(card).toBeVisible();
  await expect(card.getByTestId('student-count')).toHaveText('0');

  const email = `e2e-${run.toLowerCase()}@homeroom.test`;
  const userForm = page.getByRole('form', { name: 'New user' });
  await userForm.getByLabel('Name').fill(`Eve ${run}`);
  await userForm.getByLabel('Email').fill(email);
  await userForm.getByLabel('Role').selectOption('STUDENT');
  await userForm.getByLabel('Initial password').fill('a-long-password');
  await userForm.getByRole('button', { name: 'Create user' }).click();
  await expect(userForm.getByRole('status')).toHaveText(`Created ${email}.`);
  await expect(page.getByRole('row', { name: new RegExp(email) })).toBeVisible();

  const enrolForm = page.getByRole('form', { name: 'Enrol a student' });
  await enrolForm.getByLabel('Course').selectOption({ label: `${code} — Test course ${run}` });
  await enrolForm.getByLabel('Student').selectOption({ label: `Eve ${run} (${email})` });
  await enrolForm.getByRole('button', { name: 'Enrol' }).click();
  await expect(enrolForm.getByRole('status')).toHaveText(`Enrolled Eve ${run} in ${code}.`);
  await expect(card.getByTestId('student-count')).toHaveText('1');
  await page.screenshot({ path: shot('admin-after-enrol'), fullPage: true });

  // A duplicate code is refused with the API's message.
  await courseForm.getByLabel('Code').fill(code);
  await courseForm.getByLabel('Title').fill('Again');
  await courseForm.getByRole('button', { name: 'Create course' }).click();
  await expect(courseForm.getByRole('alert')).toBeVisible();
  await page.context().close();
});
