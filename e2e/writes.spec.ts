/**
 * Writes that survive a bad connection (docs/offline-writes.md): "mark everyone present" then one
 * tap per exception at phone width, one outbox event per record; a response lost after the server
 * applied a post: the retry carries the same Idempotency-Key and posts nothing twice.
 */
import { expect, test } from '@playwright/test';
import { shot, signedInPage } from './fixtures';
import { mathCourse } from './live';
import { E2E } from './ports';
import { e2eDatabase, newSession, run, showSession, tab } from './writes';

// A phone-sized sheet of 25 and a replayed post: slower than the default minute on a busy two-core machine.
test.describe.configure({ timeout: 120_000 });

const sql = e2eDatabase();

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
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  // The lost answer looks like a dropped connection: the post waits in the queue and is sent
  // again on its own a few seconds later, with the same key.
  const posted = page.getByRole('article', { name: /Post by/ }).filter({ hasText: body });
  await expect.poll(async () => (await sql`select 1 from posts where body = ${body}`).length).toBe(1);
  await expect.poll(() => keys.length, { timeout: 15_000 }).toBe(2);
  await expect(posted.getByTestId('post-pending')).toHaveCount(0);
  await expect(posted).toHaveCount(1);
  expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(keys[1]).toBe(keys[0]);
  expect((await sql`select 1 from posts where body = ${body}`).length).toBe(1);
  await page.context().close();
});
