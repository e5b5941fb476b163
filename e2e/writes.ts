/** Helpers for the specs about writes (offline.spec.ts, writes.spec.ts, chat.spec.ts): the e2e database, sessions. */
import { expect, type Page, test } from '@playwright/test';
import postgres from 'postgres';
import { apiLogin, gql } from './fixtures';
import { E2E } from './ports';

/** The e2e copy's database, to check what was stored (closed after the spec file). */
export function e2eDatabase() {
  const sql = postgres(`postgres://postgres:password@127.0.0.1:${E2E.pgPort}/homeroom`, { max: 1, onnotice: () => {} });
  test.afterAll(() => sql.end({ timeout: 5 }));
  return sql;
}

export const tab = (courseId: string, name: string) => `/courses/${courseId}?tab=${name}`;
/** A suffix that makes this run's titles and bodies unique. */
export const run = () => Date.now().toString(36);

/** A class session of the course, created by its instructor through the API; its id. */
export async function newSession(courseId: string, title: string): Promise<string> {
  const { token } = await apiLogin('instructor');
  const { createClassSession } = await gql<{ createClassSession: { id: string } }>(
    `mutation ($c: ID!, $t: String!) { createClassSession(courseId: $c, title: $t, startsAt: "2031-01-15T08:00:00.000Z") { id } }`,
    { c: courseId, t: title },
    token,
  );
  return createClassSession.id;
}

/** Picks the session titled `title` in the attendance sheet. */
export async function showSession(page: Page, title: string) {
  const select = page.getByRole('combobox', { name: 'Session', exact: true });
  await expect(select).toContainText(title);
  await select.selectOption((await select.locator('option', { hasText: title }).getAttribute('value'))!);
}
