import { type Browser, type BrowserContext, expect, type Page } from '@playwright/test';
import { E2E } from './ports';

export type Role = 'admin' | 'instructor' | 'student';
/** A demo role, or any seeded account by email (e.g. "student01@homeroom.test"). */
export type Who = Role | `${string}@${string}`;
export const PASSWORD = 'homeroom';
export const emailOf = (who: Who) => (who.includes('@') ? who : `${who}@homeroom.test`);

export type AuthPayload = {
  token: string;
  expiresAt: string;
  user: { id: string; name: string; email: string; role: string };
};

/** A GraphQL request to the e2e API, straight from the test (no browser); throws on errors. */
export async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(E2E.apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) {
    const e = body.errors[0];
    throw Object.assign(new Error(`${e.extensions?.code ?? 'ERROR'}: ${e.message}`), { code: e.extensions?.code });
  }
  return body.data as T;
}

export async function apiLogin(role: Who): Promise<AuthPayload> {
  const data = await gql<{ login: AuthPayload }>(
    `mutation ($email: String!, $password: String!) {
      login(email: $email, password: $password) { token expiresAt user { id name email role } }
    }`,
    { email: emailOf(role), password: PASSWORD },
  );
  return data.login;
}

/**
 * A page in its own browser context, already signed in as `role` (the session the web app keeps
 * in localStorage, obtained from the API), showing the dashboard. Close it with
 * `page.context().close()`.
 */
export async function signedInPage(
  browser: Browser,
  role: Who,
  options: {
    viewport?: { width: number; height: number };
    /** The session to store instead of a fresh login (e.g. a short-lived token). */
    session?: AuthPayload;
    /** Runs on the new context before the first page loads (e.g. to route its WebSocket). */
    prepare?: (context: BrowserContext) => Promise<void>;
    /** Where to land instead of the dashboard. */
    path?: string;
  } = {},
): Promise<Page> {
  const session = options.session ?? (await apiLogin(role));
  const context = await browser.newContext({
    baseURL: E2E.webUrl,
    viewport: options.viewport,
    storageState: {
      cookies: [],
      origins: [{ origin: E2E.webUrl, localStorage: [{ name: 'homeroom.session', value: JSON.stringify(session) }] }],
    },
  });
  await options.prepare?.(context);
  const page = await context.newPage();
  await page.goto(options.path ?? '/');
  await expect(page.getByTestId('signed-in-user')).toContainText(session.user.name);
  return page;
}

/** Signs in through the login form, as a person would. */
export async function loginThroughForm(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Where explicit screenshots of key states go (kept with the other artifacts). */
export const shot = (name: string) => `test-results/screens/${name}.png`;

/** The web app's display of a standing average (app/components/status.tsx formatPercent). */
export const formatPercent = (v: number | null | undefined) => (v == null ? '—' : `${Math.round(v * 10) / 10}%`);

/** The web app's test id slug for an assessment title ("Quiz 1" → "quiz-1"). */
export const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
