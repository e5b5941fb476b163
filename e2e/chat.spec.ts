import { expect, type Page, test } from '@playwright/test';
import { apiLogin, gql, shot, signedInPage } from './fixtures';
import { mathCourse, socketSwitch, status, waitLive } from './live';
import { e2eDatabase } from './writes';

// Course chat between two browsers: messages both ways, live; the typing indicator appears and
// goes; each sees the other online (and on which tab), and the other leaves when their browser
// closes. Everything through the socket, no reload.

const sql = e2eDatabase();

const chat = (courseId: string) => `/courses/${courseId}?tab=chat`;
const online = (page: Page, name: string) => page.getByTestId('online').filter({ hasText: name });
const message = (page: Page, body: string) => page.getByTestId('message-body').filter({ hasText: body });
/** The instructor and the student of the demo course, as the API knows them. */
async function theTwo() {
  const [teacher, student] = await Promise.all([apiLogin('instructor'), apiLogin('student')]);
  return { teacherUser: teacher.user, studentUser: student.user };
}
async function send(page: Page, body: string) {
  await page.getByLabel('Message', { exact: true }).fill(body);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('');
}

test('two people chat live, see each other online and typing, and the other leaves when their browser closes', async ({
  browser,
}) => {
  const course = await mathCourse();
  const { teacherUser, studentUser } = await theTwo();
  const [teacher, student] = await Promise.all([
    signedInPage(browser, 'instructor', { path: chat(course.id) }),
    signedInPage(browser, 'student', { path: chat(course.id) }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(student)]);

  // Presence: each sees the other, in the chat.
  await expect(online(teacher, studentUser.name)).toContainText('Chat');
  await expect(online(student, teacherUser.name)).toContainText('Chat');

  // The channel (first in the list), both ways.
  const stamp = Date.now();
  await send(teacher, `Welcome to the channel ${stamp}`);
  await expect(message(student, `Welcome to the channel ${stamp}`)).toBeVisible();
  await send(student, `Thanks! ${stamp}`);
  await expect(message(teacher, `Thanks! ${stamp}`)).toBeVisible();

  // Typing: shown to the other while they write, gone when the message is sent.
  await teacher.getByLabel('Message', { exact: true }).fill('Homework is');
  await expect(student.getByTestId('typing')).toHaveText(`${teacherUser.name} is typing…`);
  await teacher.getByRole('button', { name: 'Send' }).click();
  await expect(message(student, 'Homework is')).toBeVisible();
  await expect(student.getByTestId('typing')).not.toContainText('typing');

  // A direct question to the teacher: it shows as unread on the teacher's side, live.
  await student.getByLabel('Message the teacher').selectOption({ label: teacherUser.name });
  await expect(student.getByTestId('conversation').filter({ hasText: teacherUser.name })).toHaveAttribute(
    'aria-current',
    'true',
  );
  await send(student, `A private question ${stamp}`);
  const direct = teacher.getByTestId('conversation').filter({ hasText: studentUser.name });
  await expect(direct.getByTestId('unread')).toContainText('1');
  await expect(teacher.getByTestId('chat-unread')).toContainText('1');
  await direct.click();
  await expect(message(teacher, `A private question ${stamp}`)).toBeVisible();
  await expect(direct.getByTestId('unread')).toHaveCount(0);
  await expect(teacher.getByTestId('chat-unread')).toHaveCount(0);
  await send(teacher, `A private answer ${stamp}`);
  await expect(message(student, `A private answer ${stamp}`)).toBeVisible();
  await teacher.screenshot({ path: shot('chat-teacher') });

  // The student's browser closes: they leave the teacher's view.
  await student.context().close();
  await expect(online(teacher, studentUser.name)).toHaveCount(0, { timeout: 15_000 });
  await teacher.context().close();
});

test('a message edited or deleted by its author changes in the other browser at once', async ({ browser }) => {
  const course = await mathCourse();
  const [teacher, student] = await Promise.all([
    signedInPage(browser, 'instructor', { path: chat(course.id) }),
    signedInPage(browser, 'student', { path: chat(course.id) }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(student)]);
  const body = `Typo heer ${Date.now()}`;
  await send(student, body);
  await expect(message(teacher, body)).toBeVisible();

  const mine = student.getByTestId('message').filter({ hasText: body });
  await mine.getByRole('button', { name: 'Edit' }).click();
  await student.getByLabel('Edit message').fill(body.replace('heer', 'here'));
  await student.getByRole('button', { name: 'Save' }).click();
  await expect(message(teacher, body.replace('heer', 'here'))).toBeVisible();

  // The instructor moderates the channel: deletes it, and it goes from the student's screen too.
  await teacher
    .getByTestId('message')
    .filter({ hasText: body.replace('heer', 'here') })
    .getByRole('button', {
      name: 'Delete',
    })
    .click();
  await expect(message(student, body.replace('heer', 'here'))).toHaveCount(0);
  await Promise.all([teacher.context().close(), student.context().close()]);
});

test('a message written offline waits, then is sent exactly once when the connection is back', async ({ browser }) => {
  const course = await mathCourse();
  const [teacher, student] = await Promise.all([
    signedInPage(browser, 'instructor', { path: chat(course.id) }),
    signedInPage(browser, 'student', { path: chat(course.id) }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(student)]);
  // The conversation is on screen (its messages loaded) before the connection goes.
  const before = `Before the tunnel ${Date.now()}`;
  await send(student, before);
  await expect(message(teacher, before)).toBeVisible();
  const body = `Written on the bus ${Date.now()}`;
  await student.context().setOffline(true);
  await send(student, body);
  await expect(student.getByTestId('message').filter({ hasText: body }).getByTestId('message-pending')).toBeVisible();
  expect(await sql`select 1 from messages where body = ${body}`).toHaveLength(0);

  await student.context().setOffline(false);
  await expect(message(teacher, body)).toHaveCount(1);
  await expect(student.getByTestId('message-pending')).toHaveCount(0);
  await expect(message(student, body)).toHaveCount(1);
  const rows = await sql<{ events: number }[]>`
    select (select count(*)::int from outbox o where o.entity_id = m.id) as events from messages m where m.body = ${body}`;
  expect(rows).toEqual([{ events: 1 }]);
  await Promise.all([teacher.context().close(), student.context().close()]);
});

test('a direct message shows as unread on the dashboard at once, and leads to the chat', async ({ browser }) => {
  const course = await mathCourse();
  const [{ token: teacherToken, user: teacherUser }, { token: studentToken }] = await Promise.all([
    apiLogin('instructor'),
    apiLogin('student'),
  ]);
  const unreadNow = async () =>
    (
      await gql<{ conversations: { unreadCount: number }[] }>(
        'query ($c: ID!) { conversations(courseId: $c) { unreadCount } }',
        { c: course.id },
        teacherToken,
      )
    ).conversations.reduce((n, c) => n + c.unreadCount, 0);
  const teacher = await signedInPage(browser, 'instructor');
  await waitLive(teacher);
  const before = await unreadNow();
  const card = teacher.getByTestId(`course-${course.code}`);

  const { startDirectConversation } = await gql<{ startDirectConversation: { id: string } }>(
    'mutation ($c: ID!, $u: ID!) { startDirectConversation(courseId: $c, userId: $u) { id } }',
    { c: course.id, u: teacherUser.id },
    studentToken,
  );
  await gql(
    'mutation ($id: ID!, $b: String!, $cm: String!) { sendMessage(conversationId: $id, body: $b, clientMessageId: $cm) { id } }',
    { id: startDirectConversation.id, b: 'Are you there?', cm: `dashboard-${Date.now()}` },
    studentToken,
  );
  const link = card.getByTestId('dashboard-chat-unread');
  await expect(link).toHaveText(before + 1 === 1 ? '1 unread message' : `${before + 1} unread messages`);
  await link.click();
  await expect(teacher.getByRole('tab', { name: /Chat/ })).toHaveAttribute('aria-selected', 'true');
  await teacher.context().close();
});

test('older messages load a page at a time back to the beginning; an admin deletes in a direct conversation', async ({
  browser,
}) => {
  const course = await mathCourse();
  const { token, user: teacherUser } = await apiLogin('instructor');
  const pupil = course.students[3];
  const { startDirectConversation: dm } = await gql<{ startDirectConversation: { id: string } }>(
    'mutation ($c: ID!, $u: ID!) { startDirectConversation(courseId: $c, userId: $u) { id } }',
    { c: course.id, u: pupil.id },
    token,
  );
  // More than a page (50), zero-padded so that no body is a prefix of another.
  const stamp = Date.now();
  const bodies = Array.from({ length: 60 }, (_, i) => `History ${stamp} #${String(i + 1).padStart(2, '0')}`);
  for (const b of bodies)
    await sql`insert into messages (conversation_id, course_id, author_id, client_message_id, body)
              values (${dm.id}, ${course.id}, ${teacherUser.id}, ${b}, ${b})`;
  const path = `/courses/${course.id}?tab=chat&conversation=${dm.id}`;
  const [teacher, admin] = await Promise.all([
    signedInPage(browser, 'instructor', { path }),
    signedInPage(browser, 'admin', { path }),
  ]);
  await Promise.all([waitLive(teacher), waitLive(admin)]);
  await expect(message(teacher, bodies[59])).toBeVisible();
  await expect(message(teacher, bodies[0])).toHaveCount(0);

  const earlier = teacher.getByRole('button', { name: 'Load earlier messages' });
  for (let i = 0; i < 10 && (await earlier.count()) > 0; i++) {
    await earlier.click();
    await expect(teacher.getByText('Loading earlier messages…')).toHaveCount(0);
  }
  await expect(teacher.getByText('The beginning of this conversation.')).toBeVisible();
  for (const b of [bodies[0], bodies[9], bodies[10]]) await expect(message(teacher, b)).toHaveCount(1);
  await expect(teacher.getByTestId('message-body').filter({ hasText: `History ${stamp} #` })).toHaveCount(60);
  await teacher.screenshot({ path: shot('chat-earlier-messages'), fullPage: true });

  // Admins may delete anywhere (the instructor only their own here): gone from the other screen live.
  const last = admin.getByTestId('message').filter({ hasText: bodies[59] });
  await last.getByRole('button', { name: 'Delete' }).click();
  await expect(message(teacher, bodies[59])).toHaveCount(0);
  await expect(message(teacher, bodies[58])).toBeVisible();
  await Promise.all([teacher.context().close(), admin.context().close()]);
});

test('a dropped socket hides who is online and typing instead of freezing them; reconnected, they come back', async ({
  browser,
}) => {
  const course = await mathCourse();
  const { teacherUser, studentUser } = await theTwo();
  const student = await signedInPage(browser, 'student', { path: chat(course.id) });
  const link = await socketSwitch(student.context());
  await student.reload();
  const teacher = await signedInPage(browser, 'instructor', { path: chat(course.id) });
  await Promise.all([waitLive(teacher), waitLive(student)]);
  await expect(online(student, teacherUser.name)).toBeVisible();
  await teacher.getByLabel('Message', { exact: true }).fill('Tomorrow we');
  await expect(student.getByTestId('typing')).toHaveText(`${teacherUser.name} is typing…`);

  // The student's link drops while the teacher is still typing: no stale names on their screen.
  await link.cut();
  await expect(status(student)).not.toHaveText(/^Live/);
  await expect(student.getByTestId('typing')).not.toContainText('typing');
  await expect(student.getByTestId('presence-unknown')).toHaveText('unknown until the connection is back');
  await expect(online(student, teacherUser.name)).toHaveCount(0);

  link.restore();
  await waitLive(student, 30_000);
  await expect(online(student, teacherUser.name)).toBeVisible();
  await expect(online(teacher, studentUser.name)).toBeVisible();
  await Promise.all([teacher.context().close(), student.context().close()]);
});
