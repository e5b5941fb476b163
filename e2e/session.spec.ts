import { expect, type Page, test } from '@playwright/test';
import { apiLogin } from './fixtures';
import { E2E } from './ports';

const readSession = (page: Page) =>
  page.evaluate(
    () => JSON.parse(localStorage.getItem('homeroom.session') ?? 'null') as { token: string; expiresAt: string } | null,
  );

async function pageWithSession(browser: import('@playwright/test').Browser, session: unknown) {
  const context = await browser.newContext({
    baseURL: E2E.webUrl,
    storageState: {
      cookies: [],
      origins: [{ origin: E2E.webUrl, localStorage: [{ name: 'homeroom.session', value: JSON.stringify(session) }] }],
    },
  });
  return context.newPage();
}

test('the token is renewed shortly before it expires', async ({ browser }) => {
  const session = await apiLogin('student');
  // Pretend the token expires in 6 s: the app renews it about a second before.
  const soon = new Date(Date.now() + 6_000).toISOString();
  const page = await pageWithSession(browser, { ...session, expiresAt: soon });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'My courses' })).toBeVisible();
  await expect.poll(async () => (await readSession(page))?.expiresAt, { timeout: 15_000 }).not.toBe(soon);
  const renewed = await readSession(page);
  expect(Date.parse(renewed!.expiresAt)).toBeGreaterThan(Date.now() + 60_000);
  await expect(page.getByTestId('signed-in-user')).toContainText(session.user.name);
  await page.context().close();
});

test('a session the API refuses sends the visitor to the login page', async ({ browser }) => {
  const session = await apiLogin('student');
  const page = await pageWithSession(browser, { ...session, token: 'not-a-valid-token' });
  await page.goto('/notifications');
  await expect(page).toHaveURL(/\/login\?next=%2Fnotifications/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  expect(await readSession(page)).toBeNull();
  await page.context().close();
});

test('signed-out visitors are sent to the login page and back after signing in', async ({ page }) => {
  await page.goto('/notifications');
  await expect(page).toHaveURL(/\/login\?next=%2Fnotifications/);
  await page.getByLabel('Email').fill('student@homeroom.test');
  await page.getByLabel('Password').fill('homeroom');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/notifications$/);
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
});
