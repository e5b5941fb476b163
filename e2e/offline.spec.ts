/**
 * Writes that survive a bad connection (docs/offline-writes.md): marks taken offline wait, show
 * as pending and are stored exactly once when the connection returns; a retry after a lost
 * response applies nothing twice; a queued ballot the server refuses is rolled back with a
 * message; a page visited before reloads with its data while offline.
 */
import { expect, type Page, test } from '@playwright/test';
import postgres from 'postgres';
import { apiLogin, gql, shot, signedInPage } from './fixtures';
import { mathCourse, waitLive } from './live';
import { E2E } from './ports';

// Two browsers, a queue and a replay: slower than the default minute on a busy two-core machine.
test.describe.configure({ timeout: 120_000 });

const sql = postgres(`postgres://postgres:password@127.0.0.1:${E2E.pgPort}/homeroom`, { max: 1, onnotice: () => {} });
test.afterAll(() => sql.end({ timeout: 5 }));

const tab = (courseId: string, name: string) => `/courses/${courseId}?tab=${name}`;
const run = () => Date.now().toString(36);

async function newSession(courseId: string, title: string): Promise<string> {
  const { token } = await apiLogin('instructor');
  const { createClassSession } = await gql<{ createClassSession: { id: string } }>(
    `mutation ($c: ID!, $t: String!) { createClassSession(courseId: $c, title: $t, startsAt: "2031-01-15T08:00:00.000Z") { id } }`,
    { c: courseId, t: title },
    token,
  );
  return createClassSession.id;
}

async function showSession(page: Page, title: string) {
  const select = page.getByRole('combobox', { name: 'Session', exact: true });
  await expect(select).toContainText(title);
  await select.selectOption((await select.locator('option', { hasText: title }).getAttribute('value'))!);
}

test('attendance offline: five marks wait as pending, then each is stored exactly once and another browser sees them live', async ({
  browser,
}) => {
  const course = await mathCourse();
  const title = `Offline lesson ${run()}`;
  const sessionId = await newSession(course.id, title);
  const [teacher, admin] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'attendance'), viewport: { width: 390, height: 844 } }),
    signedInPage(browser, 'admin', { path: tab(course.id, 'attendance') }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(admin)]);
  await Promise.all([showSession(teacher, title), showSession(admin, title)]);
  const five = course.students.slice(0, 5);
  const marks = (page: Page, name: string) => page.getByRole('group', { name: `Attendance for ${name}` });

  await teacher.context().setOffline(true);
  for (const s of five) await marks(teacher, s.name).getByTitle('Absent').click();
  await expect(teacher.getByTestId('pending-writes')).toHaveText('5 changes waiting to be sent');
  await expect(teacher.getByTestId('attendance-pending')).toHaveCount(5);
  for (const s of five) await expect(marks(teacher, s.name).getByRole('radio', { name: 'Absent' })).toBeChecked();
  await teacher.screenshot({ path: shot('offline-attendance-pending'), fullPage: true });
  expect((await sql`select 1 from attendance_records where session_id = ${sessionId}`).length).toBe(0);

  await teacher.context().setOffline(false);
  await expect(teacher.getByTestId('pending-writes')).toHaveCount(0);
  await expect(teacher.getByTestId('attendance-pending')).toHaveCount(0);
  for (const s of five) await expect(marks(admin, s.name).getByRole('radio', { name: 'Absent' })).toBeChecked();

  // Exactly once: one row each, and one outbox event each (a second application would be an UPDATED event).
  const rows = await sql<{ student_id: string; status: string; events: number }[]>`
    select r.student_id, r.status, (select count(*)::int from outbox o where o.entity_id = r.id) as events
    from attendance_records r where r.session_id = ${sessionId}`;
  expect(rows.map((r) => r.student_id).sort()).toEqual(five.map((s) => s.id).sort());
  expect(rows.every((r) => r.status === 'ABSENT' && r.events === 1)).toBe(true);
  await Promise.all([teacher.context().close(), admin.context().close()]);
});

test('"Mark everyone present", then one tap per exception, on a phone', async ({ browser }) => {
  const course = await mathCourse();
  const title = `Roll call ${run()}`;
  const sessionId = await newSession(course.id, title);
  const teacher = await signedInPage(browser, 'instructor', {
    path: tab(course.id, 'attendance'),
    viewport: { width: 390, height: 844 },
  });
  await showSession(teacher, title);
  await teacher.getByRole('button', { name: 'Mark everyone present' }).click();
  await expect(teacher.getByText(`${course.students.length} of ${course.students.length} recorded`)).toBeVisible();
  const late = course.students[3];
  await teacher
    .getByRole('group', { name: `Attendance for ${late.name}` })
    .getByTitle('Late')
    .click();
  await expect(
    teacher.getByRole('group', { name: `Attendance for ${late.name}` }).getByRole('radio', { name: 'Late' }),
  ).toBeChecked();
  await expect(teacher.getByRole('button', { name: 'Mark everyone present' })).toBeDisabled();
  // The page does not scroll sideways at phone width.
  expect(await teacher.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await teacher.screenshot({ path: shot('attendance-phone'), fullPage: true });

  await expect
    .poll(
      async () =>
        (
          await sql`select status from attendance_records where session_id = ${sessionId} and student_id = ${late.id}`
        )[0]?.status,
    )
    .toBe('LATE');
  const [{ n, events }] = await sql<{ n: number; events: number }[]>`
    select count(*)::int as n,
      (select count(*)::int from outbox o join attendance_records r on r.id = o.entity_id where r.session_id = ${sessionId}) as events
    from attendance_records where session_id = ${sessionId}`;
  expect(n).toBe(course.students.length);
  expect(events).toBe(course.students.length + 1); // one CREATED per student, one UPDATED for the exception
  await teacher.context().close();
});

test('a response lost after the server applied the post: the retry carries the same key and posts nothing twice', async ({
  browser,
}) => {
  const course = await mathCourse();
  const page = await signedInPage(browser, 'student', { path: tab(course.id, 'feed') });
  const body = `Lost answer ${run()}`;
  const keys: string[] = [];
  await page.route(E2E.apiUrl, async (route) => {
    const request = route.request();
    if (request.method() !== 'POST' || !request.postData()?.includes('CreatePost')) return route.fallback();
    keys.push(request.headers()['idempotency-key']);
    if (keys.length > 1) return route.fallback();
    await route.fetch(); // the server applies it…
    await route.abort('connectionreset'); // …and the answer never arrives
  });
  await page.getByRole('textbox', { name: 'New post' }).fill(body);
  await page.getByRole('button', { name: 'Post' }).click();
  await expect(page.getByText('Cannot reach the server')).toBeVisible();
  expect((await sql`select 1 from posts where body = ${body}`).length).toBe(1);

  await page.getByRole('button', { name: 'Post' }).click();
  await expect(page.getByRole('article', { name: /Post by/ }).filter({ hasText: body })).toHaveCount(1);
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(keys[1]).toBe(keys[0]);
  expect((await sql`select 1 from posts where body = ${body}`).length).toBe(1);
  await page.context().close();
});

test('a ballot cast offline on a poll closed meanwhile is rolled back, with a message', async ({ browser }) => {
  const course = await mathCourse();
  const { token } = await apiLogin('instructor');
  const question = `Trip day ${run()}?`;
  const { openPoll } = await gql<{ openPoll: { id: string } }>(
    `mutation ($c: ID!, $q: String!) { openPoll(courseId: $c, question: $q, options: ["Monday", "Friday"]) { id } }`,
    { c: course.id, q: question },
    token,
  );
  const page = await signedInPage(browser, 'student', { path: tab(course.id, 'polls') });
  const poll = page.getByRole('article', { name: question });
  await expect(poll).toContainText('Open');

  await page.context().setOffline(true);
  await poll.getByRole('button', { name: /^Vote for Friday/ }).click();
  await expect(poll).toContainText('Your vote');
  await expect(page.getByTestId('pending-writes')).toHaveText('1 change waiting to be sent');
  await gql(`mutation ($id: ID!) { closePoll(id: $id) { id } }`, { id: openPoll.id }, token);

  await page.context().setOffline(false);
  const notice = page.getByTestId('refused-write');
  await expect(notice).toContainText('Your vote was not counted');
  await expect(notice).toContainText('Open the poll');
  await expect(poll).not.toContainText('Your vote');
  await expect(poll).toContainText('Closed');
  await expect(page.getByTestId('pending-writes')).toHaveCount(0);
  await page.screenshot({ path: shot('offline-ballot-refused'), fullPage: true });
  const studentId = course.student('student').id;
  expect((await sql`select 1 from ballots where poll_id = ${openPoll.id} and voter_id = ${studentId}`).length).toBe(0);
  await page.context().close();
});

test('a page visited before reloads offline and shows its last known data', async ({ browser }) => {
  const course = await mathCourse();
  const page = await signedInPage(browser, 'instructor', { path: tab(course.id, 'attendance') });
  const first = course.students[0].name;
  await expect(page.getByRole('rowheader', { name: first })).toBeVisible();
  // The app shell is cached by the service worker, the data by graphcache in IndexedDB.
  await expect.poll(() => page.evaluate(() => Boolean(navigator.serviceWorker.controller))).toBe(true);
  await page.context().setOffline(true);
  await page.reload();
  await expect(page.getByRole('rowheader', { name: first })).toBeVisible();
  await expect(page.getByTestId('connection-status')).toContainText('Offline');
  await page.screenshot({ path: shot('offline-reload'), fullPage: true });
  await page.context().close();
});
