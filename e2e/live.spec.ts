import { expect, type Page, test } from '@playwright/test';
import { apiLogin, formatPercent, gql, shot, signedInPage } from './fixtures';
import { bellSays, mathCourse, recordFrames, recordGrade, status, unreadCount, waitLive } from './live';

// Live updates across browser contexts: what one person does appears for the others allowed to
// see it, at once, through the socket. The outage and token cases live in live-resilience.spec.ts.

const tab = (courseId: string, name: string) => `/courses/${courseId}?tab=${name}`;
/** A whole number in [from, to] other than those in `avoid`. */
const pick = (avoid: number | number[], from: number, to: number) => {
  const not = Array.isArray(avoid) ? avoid : [avoid];
  for (;;) {
    const v = from + Math.floor(Math.random() * (to - from + 1));
    if (!not.includes(v)) return v;
  }
};
const closeAll = (...pages: Page[]) => Promise.all(pages.map((p) => p.context().close()));

test('a grade recorded by the instructor reaches that student live, with a toast and the bell — and never another student', async ({
  browser,
}) => {
  const course = await mathCourse();
  const sam = course.student('student');
  let otherFrames: string[] = [];
  const [teacher, student, other] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'grades') }),
    signedInPage(browser, 'student', { path: tab(course.id, 'grades') }),
    signedInPage(browser, 'student01@homeroom.test', {
      path: tab(course.id, 'grades'),
      prepare: async (context) => void (otherFrames = recordFrames(context)),
    }),
  ]);
  await Promise.all([teacher, student, other].map((p) => waitLive(p)));
  const before = await unreadCount(student);
  const otherMidterm = await other.getByTestId('grade-midterm').textContent();
  const current = await student.getByTestId('grade-midterm').textContent();
  const score = pick(Number.parseFloat(current ?? ''), 50, 99);

  const cell = teacher.getByRole('spinbutton', { name: `Midterm score for ${sam.name}` });
  await cell.fill(String(score));
  await cell.press('Enter');
  const sent = Date.now();
  await expect(student.getByTestId('grade-midterm')).toHaveText(`${score} / 100`, { timeout: 5_000 });
  const latency = Date.now() - sent;
  test
    .info()
    .annotations.push({ type: 'latency', description: `grade on the student's screen ${latency} ms after Enter` });
  console.log(`[live] grade on the student's screen ${latency} ms after the instructor pressed Enter`);

  // The standing moves in place, the notification toasts and the bell counts it.
  const { token } = await apiLogin('student');
  const { course: mine } = await gql<{ course: { myStanding: { average: number | null } } }>(
    `query ($id: ID!) { course(id: $id) { myStanding { average } } }`,
    { id: course.id },
    token,
  );
  await expect(student.getByTestId('my-standing').getByTestId('standing-average')).toHaveText(
    formatPercent(mine.myStanding.average),
  );
  const toast = student.getByTestId('toast').filter({ hasText: `MATH101 · Midterm: ${score}/100` });
  await expect(toast).toHaveCount(1);
  await expect(student.getByRole('status', { name: 'New notifications' })).toContainText(`Midterm: ${score}/100`);
  await bellSays(student, before + 1);
  await student.screenshot({ path: shot('live-student-grade-toast') });

  // The other student's screen and socket never saw it.
  await expect(other.getByTestId('grade-midterm')).toHaveText(otherMidterm!);
  expect(otherFrames.length).toBeGreaterThan(0); // the recorder works: at least connection_ack
  // (A RESYNC message carries no grade; any grade object or Sam's id would be a leak — except in
  // presence, which shows course members who is online: Sam is, on the grades tab.)
  const leaks = otherFrames.filter(
    (f) => (f.includes(sam.id) || f.includes('"grade":{')) && !f.includes('"presenceChanged"'),
  );
  expect(leaks).toEqual([]);
  expect(otherFrames.some((f) => f.includes('"presenceChanged"') && f.includes('"grade":{'))).toBe(false);
  await closeAll(teacher, student, other);
});

test("grade sheet: a colleague's edit appears in the cell and highlights, without clobbering the cell being edited", async ({
  browser,
}) => {
  const course = await mathCourse();
  const [first, second] = [course.student('student01@homeroom.test'), course.student('student02@homeroom.test')];
  const quiz = course.assessment('Quiz 1');
  const [teacher, colleague] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'grades') }),
    signedInPage(browser, 'admin', { path: tab(course.id, 'grades') }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(colleague)]);

  // The colleague saves a cell: it changes and flashes on the teacher's sheet.
  const theirs = colleague.getByRole('spinbutton', { name: `Quiz 1 score for ${first.name}` });
  const mine = teacher.getByRole('spinbutton', { name: `Quiz 1 score for ${first.name}` });
  const value = String(pick(Number.parseFloat(await theirs.inputValue()), 0, 10));
  await theirs.fill(value);
  await theirs.press('Enter');
  await expect(mine).toHaveValue(value, { timeout: 5_000 });
  await expect(mine.locator('xpath=ancestor::td')).toHaveAttribute('data-highlight', 'true');
  await teacher.screenshot({ path: shot('live-grade-sheet-highlight') });
  await expect(mine.locator('xpath=ancestor::td')).not.toHaveAttribute('data-highlight', 'true', { timeout: 5_000 });
  // The colleague's own cell does not flash for their own save.
  await expect(theirs.locator('xpath=ancestor::td')).not.toHaveAttribute('data-highlight', 'true');

  // The teacher is typing in a cell when the colleague's edit of it arrives: the draft stays.
  const editing = teacher.getByRole('spinbutton', { name: `Quiz 1 score for ${second.name}` });
  const saved = Number.parseFloat(await editing.inputValue());
  const draft = String(pick(saved, 0, 10));
  await editing.fill(draft);
  const { token } = await apiLogin('admin');
  const theirValue = pick([saved, Number(draft)], 0, 10);
  await recordGrade(token, quiz.id, second.id, theirValue);
  await expect(editing.locator('xpath=ancestor::td')).toContainText(`Now ${theirValue}`, { timeout: 5_000 });
  await expect(editing).toHaveValue(draft);
  await teacher.screenshot({ path: shot('live-grade-sheet-editing') });
  await editing.press('Escape');
  await expect(editing).toHaveValue(String(theirValue));

  // Focusing and leaving a cell untouched never writes the old value over a colleague's edit.
  await editing.focus();
  const later = pick(theirValue, 0, 10);
  await recordGrade(token, quiz.id, second.id, later);
  await expect(editing.locator('xpath=ancestor::td')).toContainText(`Now ${later}`);
  await editing.blur();
  await expect(editing).toHaveValue(String(later));
  await expect(colleague.getByRole('spinbutton', { name: `Quiz 1 score for ${second.name}` })).toHaveValue(
    String(later),
  );
  await closeAll(teacher, colleague);
});

test("attendance: the instructor's mark shows on the student's page at once, with new totals", async ({ browser }) => {
  const course = await mathCourse();
  const sam = course.student('student');
  const [teacher, student] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'attendance') }),
    signedInPage(browser, 'student', { path: tab(course.id, 'attendance') }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(student)]);
  const session = (await teacher
    .getByRole('combobox', { name: 'Session', exact: true })
    .locator('option:checked')
    .textContent())!.split(' — ')[0];
  const marks = teacher.getByRole('group', { name: `Attendance for ${sam.name}` });
  const next = (await marks.getByRole('radio', { name: 'Late' }).isChecked()) ? 'Excused' : 'Late';
  await marks.getByTitle(next).click();

  const row = student.getByRole('row', { name: new RegExp(`^${session}\\b`) });
  await expect(row).toContainText(next, { timeout: 5_000 });
  const { token } = await apiLogin('student');
  const { course: mine } = await gql<{ course: { myAttendanceTotals: Record<string, number> } }>(
    `query ($id: ID!) { course(id: $id) { myAttendanceTotals { present late absent excused recorded sessions } } }`,
    { id: course.id },
    token,
  );
  const totals = student.getByTestId('my-attendance-totals');
  const t = mine.myAttendanceTotals;
  await expect(totals).toContainText(`Late${t.late}`);
  await expect(totals).toContainText(`Excused${t.excused}`);
  await expect(totals).toContainText(`Recorded${t.recorded} of ${t.sessions}`);
  await student.screenshot({ path: shot('live-student-attendance') });
  await closeAll(teacher, student);
});

test('polls: a new poll appears for everyone, and the tallies move live while two students vote', async ({
  browser,
}) => {
  const course = await mathCourse();
  const [teacher, sam, ann] = await Promise.all([
    signedInPage(browser, 'instructor', { path: tab(course.id, 'polls') }),
    signedInPage(browser, 'student', { path: tab(course.id, 'polls') }),
    signedInPage(browser, 'student01@homeroom.test', { path: tab(course.id, 'polls') }),
  ]);
  await Promise.all([teacher, sam, ann].map((p) => waitLive(p)));
  // Every page shows the seeded poll first (the next test covers a list still loading when the event lands).
  for (const p of [teacher, sam, ann])
    await expect(p.getByRole('article', { name: 'When should we hold the review session?' })).toBeVisible();
  const question = `Lab partner day? ${Date.now().toString(36)}`;
  const { token } = await apiLogin('instructor');
  await gql(
    `mutation ($c: ID!, $q: String!) { openPoll(courseId: $c, question: $q, options: ["Tuesday", "Thursday"]) { id } }`,
    { c: course.id, q: question },
    token,
  );

  const poll = (p: Page) => p.getByRole('article', { name: question });
  for (const p of [teacher, sam, ann]) await expect(poll(p)).toContainText('0 votes', { timeout: 5_000 });
  // Opening a poll notifies the course's students.
  await expect(sam.getByTestId('toast').filter({ hasText: `New poll: ${question}` })).toHaveCount(1);

  await poll(sam)
    .getByRole('button', { name: /^Vote for Tuesday/ })
    .click();
  await poll(ann)
    .getByRole('button', { name: /^Vote for Thursday/ })
    .click();
  for (const p of [teacher, sam, ann]) {
    await expect(poll(p)).toContainText('2 votes', { timeout: 5_000 });
    await expect(poll(p).getByTestId('poll-option').filter({ hasText: 'Tuesday' })).toContainText('1 vote, 50%');
    await expect(poll(p).getByTestId('poll-option').filter({ hasText: 'Thursday' })).toContainText('1 vote, 50%');
  }
  // A changed ballot moves both bars everywhere; each voter keeps their own "Your vote".
  await poll(sam)
    .getByRole('button', { name: /^Vote for Thursday/ })
    .click();
  for (const p of [teacher, sam, ann]) {
    await expect(poll(p).getByTestId('poll-option').filter({ hasText: 'Thursday' })).toContainText('2 votes, 100%', {
      timeout: 5_000,
    });
    await expect(poll(p).getByTestId('poll-option').filter({ hasText: 'Tuesday' })).toContainText('0 votes, 0%');
  }
  await expect(poll(ann).getByRole('button', { name: /^Vote for Thursday/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(poll(sam).getByRole('button', { name: /^Vote for Thursday/ })).toHaveAttribute('aria-pressed', 'true');
  await teacher.screenshot({ path: shot('live-poll-tallies') });
  await closeAll(teacher, sam, ann);
});

test('a list read before a live event, answered after it, does not hide that event: the list is read again', async ({
  browser,
}) => {
  const course = await mathCourse();
  const question = `Snack vote? ${Date.now().toString(36)}`;
  // The first Polls read reaches the API at once (its snapshot is older than the poll below) but
  // its answer is held until the poll's live event has reached the page.
  let snapshotTaken!: () => void;
  const taken = new Promise<void>((resolve) => (snapshotTaken = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  const frames: string[] = [];
  const teacher = await signedInPage(browser, 'instructor', {
    path: tab(course.id, 'polls'),
    prepare: async (context) => {
      context.on('page', (page) =>
        page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload)))),
      );
      await context.route('**/graphql', async (route) => {
        if (
          held ||
          route.request().method() !== 'POST' ||
          !route.request().postData()?.includes('"operationName":"Polls"')
        )
          return route.fallback();
        held = true;
        const response = await route.fetch();
        snapshotTaken();
        await released;
        await route.fulfill({ response });
      });
    },
  });
  await taken;
  await waitLive(teacher);
  const { token } = await apiLogin('instructor');
  await gql(
    `mutation ($c: ID!, $q: String!) { openPoll(courseId: $c, question: $q, options: ["Crisps", "Fruit"]) { id } }`,
    { c: course.id, q: question },
    token,
  );
  await expect.poll(() => frames.some((f) => f.includes(question)), { timeout: 10_000 }).toBe(true);
  release();
  await expect(teacher.getByRole('article', { name: 'When should we hold the review session?' })).toBeVisible();
  await expect(teacher.getByRole('article', { name: question })).toContainText('0 votes', { timeout: 5_000 });
  await closeAll(teacher);
});

test('feed: new posts wait behind a banner while the reader is further down, and load at once at the top', async ({
  browser,
}) => {
  const course = await mathCourse();
  const reader = await signedInPage(browser, 'student', {
    path: tab(course.id, 'feed'),
    viewport: { width: 900, height: 420 },
  });
  await waitLive(reader);
  await expect(reader.getByTestId('post').first()).toBeVisible();
  await reader.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await expect
    .poll(() => reader.evaluate(() => document.querySelector('.feed-list')!.getBoundingClientRect().top))
    .toBeLessThan(0);

  const { token } = await apiLogin('instructor');
  const run = Date.now().toString(36);
  const post = (body: string) =>
    gql(
      `mutation ($c: ID!, $b: String!) { createPost(courseId: $c, body: $b) { id } }`,
      { c: course.id, b: body },
      token,
    );
  for (let i = 1; i <= 4; i++) await post(`Reading list part ${i} (${run})`);
  const banner = reader.getByTestId('new-posts-banner');
  await expect(banner).toHaveText(/^4 new posts/, { timeout: 5_000 });
  await expect(reader.getByTestId('post').filter({ hasText: run })).toHaveCount(0);
  await reader.screenshot({ path: shot('live-feed-banner') });
  await banner.click();
  await expect(reader.getByTestId('post').first()).toContainText(`Reading list part 4 (${run})`);
  await expect(reader.getByTestId('post').filter({ hasText: run })).toHaveCount(4);
  await expect(banner).toHaveCount(0);

  // At the top of the feed a single new post simply appears.
  await reader.evaluate(() => window.scrollTo(0, 0));
  await post(`Quiz moved to Friday (${run})`);
  await expect(reader.getByTestId('post').first()).toContainText(`Quiz moved to Friday (${run})`, { timeout: 5_000 });
  await expect(banner).toHaveCount(0);
  await expect(status(reader)).toHaveText(/^Live/);
  await closeAll(reader);
});
