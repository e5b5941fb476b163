/**
 * Writes that survive a bad connection (docs/offline-writes.md): marks, a grade, a post and a
 * comment made offline wait, show as pending and are stored exactly once when the connection
 * returns, and another browser sees them live; a queued ballot the server refuses is rolled back
 * with a message; a page visited before reloads with its data while offline. (writes.spec.ts:
 * roll call at phone width, and a retry after a lost response.)
 */
import { expect, type Page, test } from '@playwright/test';
import { apiLogin, gql, shot, signedInPage } from './fixtures';
import { mathCourse, waitLive } from './live';
import { e2eDatabase, newSession, run, showSession, tab } from './writes';

// Two browsers, a queue and a replay: slower than the default minute on a busy two-core machine.
test.describe.configure({ timeout: 120_000 });

const sql = e2eDatabase();

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

test('a grade, a post and a comment made offline wait as pending, then are stored once and seen live elsewhere', async ({
  browser,
}) => {
  const course = await mathCourse();
  const student = course.student('student');
  const quiz = course.assessment('Quiz 1');
  const [teacher, reader] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'feed') }),
    signedInPage(browser, 'student', { path: tab(course.id, 'feed') }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(reader)]);
  // Both views were seen online once (the feed, then the grade sheet): offline they come from the cache.
  await expect(teacher.getByRole('article', { name: /Post by/ }).first()).toBeVisible();
  await teacher.getByRole('tab', { name: 'Grades' }).click();
  const cell = teacher.getByRole('spinbutton', { name: `${quiz.title} score for ${student.name}` });
  await expect(cell).toBeVisible();
  const score = (((Number(await cell.inputValue()) || 0) + 1) % quiz.maxScore) + 0.5;
  const post = `Offline post ${run()}`;
  const comment = `Offline comment ${run()}`;

  await teacher.context().setOffline(true);
  await cell.fill(String(score));
  await cell.press('Enter');
  await expect(teacher.getByTestId('grade-pending')).toHaveCount(1);

  await teacher.getByRole('tab', { name: 'Feed' }).click();
  await teacher.getByRole('textbox', { name: 'New post' }).fill(post);
  await teacher.getByRole('button', { name: 'Post', exact: true }).click();
  const mine = teacher.getByRole('article', { name: /Post by/ }).filter({ hasText: post });
  await expect(mine.getByTestId('post-pending')).toBeVisible();
  await expect(teacher.getByRole('textbox', { name: 'New post' })).toHaveValue('');
  const older = teacher
    .getByRole('article', { name: /Post by/ })
    .filter({ hasNotText: post })
    .first();
  await older.getByRole('textbox', { name: /^Comment on/ }).fill(comment);
  await older.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(older.getByTestId('comment-pending')).toBeVisible();
  await expect(teacher.getByTestId('pending-writes')).toHaveText('3 changes waiting to be sent');
  await teacher.screenshot({ path: shot('offline-feed-pending'), fullPage: true });
  expect((await sql`select 1 from posts where body = ${post}`).length).toBe(0);

  await teacher.context().setOffline(false);
  await expect(teacher.getByTestId('pending-writes')).toHaveCount(0);
  await expect(mine.getByTestId('post-pending')).toHaveCount(0);
  await expect(reader.getByText(post)).toBeVisible();
  await expect(reader.getByText(comment)).toBeVisible();
  const [grade] = await sql<{ score: number }[]>`
    select score from grades where assessment_id = ${quiz.id} and student_id = ${student.id}`;
  expect(Number(grade.score)).toBe(score);
  expect((await sql`select 1 from posts where body = ${post}`).length).toBe(1);
  expect((await sql`select 1 from comments where body = ${comment}`).length).toBe(1);
  await Promise.all([teacher.context().close(), reader.context().close()]);
});
