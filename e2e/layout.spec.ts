import { expect, test } from '@playwright/test';
import { apiLogin, gql, shot, signedInPage } from './fixtures';

// Key screens on a phone-sized viewport: everything reachable, nothing wider than the screen
// except the grade sheet, which scrolls inside its own box.
const phone = { width: 390, height: 844 };

async function firstCourseId(role: 'student' | 'instructor') {
  const { token } = await apiLogin(role);
  const { courses } = await gql<{ courses: { id: string }[] }>(`{ courses { id } }`, {}, token);
  return courses[0].id;
}

async function expectNoHorizontalScroll(page: import('@playwright/test').Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(1);
}

test('phone: login, dashboards, course tabs and notifications fit the screen', async ({ browser }) => {
  const anon = await browser.newContext({ viewport: phone });
  const login = await anon.newPage();
  await login.goto('/login');
  await expect(login.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expectNoHorizontalScroll(login);
  await login.screenshot({ path: shot('phone-login') });
  await anon.close();

  for (const role of ['student', 'instructor'] as const) {
    const page = await signedInPage(browser, role, { viewport: phone });
    await expect(page.locator('.course-card').first()).toBeVisible();
    await expectNoHorizontalScroll(page);
    await page.screenshot({ path: shot(`phone-dashboard-${role}`), fullPage: true });
    await page.goto(`/courses/${await firstCourseId(role)}`);
    for (const tab of ['Grades', 'Attendance', 'Polls', 'Feed', 'Chat']) {
      await page.getByRole('tab', { name: tab }).click();
      await expect(
        page
          .getByRole('tabpanel', { name: tab })
          .getByRole('heading')
          .or(page.getByRole('tabpanel', { name: tab }).getByRole('definition'))
          .first(),
      ).toBeVisible();
      await expect(page.getByRole('status').filter({ hasText: /Loading/ })).toHaveCount(0); // loaded
      await expectNoHorizontalScroll(page);
      await page.screenshot({ path: shot(`phone-${role}-${tab.toLowerCase()}`), fullPage: true });
    }
    await page.getByRole('link', { name: /Notifications, \d+ unread/ }).click();
    await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
    await expectNoHorizontalScroll(page);
    await page.screenshot({ path: shot(`phone-${role}-notifications`), fullPage: true });
    await page.context().close();
  }
});
