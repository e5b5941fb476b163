/**
 * Presence and typing across two instances through Redis (one in-process, one a real child process
 * that is killed with SIGKILL): joins and leaves reach the other instance, a killed instance's users
 * leave within the expiry, typing reaches the others (never the typer) and ends by itself or on
 * send; course and conversation rules hold, also when membership is lost mid-stream; a reader of
 * the conversation is not notified. Nothing of it is written to Postgres. And chat messages, which
 * are: a subscriber on the killed instance resumes on the other from its cursor, exactly.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedApi, spawnApi, startRedisServer, type TestRedis } from '../../test';
import {
  connectLive,
  gql,
  gqlOk,
  type LiveConnection,
  type LiveDatabase,
  openLiveDatabase,
  startTestApp,
  type TestApp,
  waitFor,
} from '../../test/live';

const ENV = {
  PRESENCE_HEARTBEAT_MS: '300',
  PRESENCE_EXPIRY_MS: '1500',
  PRESENCE_LEAVE_GRACE_MS: '200',
  TYPING_EXPIRY_MS: '1000',
};
const SAM = 'student@homeroom.test';
const TEACHER2 = 'instructor2@homeroom.test';

let ldb: LiveDatabase;
let sql: postgres.Sql;
let redis: TestRedis;
let a: TestApp;
let b: SpawnedApi;
let course: string;
let outsider: string;
let classmate: string;
let direct: string;
const connections: LiveConnection[] = [];

const PRESENCE_CHANGED = `subscription($c: ID!, $where: String, $hidden: Boolean, $conv: ID) {
  presenceChanged(courseId: $c, where: $where, hidden: $hidden, conversationId: $conv) { action entry { user { id } where } entries { user { id } where } } }`;
const TYPING_CHANGED = `subscription($id: ID!) { typingChanged(conversationId: $id) { conversationId typing user { id } } }`;
const PRESENCE = `query($c: ID!) { presence(courseId: $c) { user { id } where } }`;

async function live(wsUrl: string, email: string) {
  const conn = connectLive(wsUrl, await ldb.token(email));
  connections.push(conn);
  return conn;
}
type Event = { action: string; entry: { user: { id: string }; where: string | null } | null; entries: unknown[] };
const about = (userId: string, action: string) => (e: Event) => e.action === action && e.entry?.user.id === userId;

beforeAll(async () => {
  [ldb, redis] = await Promise.all([openLiveDatabase(), startRedisServer()]);
  sql = ldb.sql;
  [a, b] = await Promise.all([
    startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url, env: ENV }),
    spawnApi({ databaseUrl: ldb.url, redisUrl: redis.url, env: ENV }),
  ]);
  const hist = ldb.f.course('HIST201');
  course = hist.id;
  classmate = Object.keys(ldb.f.users).find((e) => e !== SAM && hist.studentIds.includes(ldb.f.user(e)))!;
  outsider = Object.keys(ldb.f.users).find((e) => e.startsWith('student') && !hist.studentIds.includes(ldb.f.user(e)))!;
  const { startDirectConversation } = await gqlOk(
    a.url,
    `mutation($c: ID!, $u: ID!) { startDirectConversation(courseId: $c, userId: $u) { id } }`,
    { c: course, u: ldb.f.user(TEACHER2) },
    await ldb.token(SAM),
  );
  direct = startDirectConversation.id;
  // A database, a Redis, an in-process app and a child process: slow on a loaded machine.
}, 180_000);
afterAll(async () => {
  await Promise.all(connections.map((c) => c.dispose()));
  await b?.kill();
  await a?.stop();
  await redis?.stop();
  await ldb?.close();
});

describe('presence across instances', () => {
  it('a join on one instance reaches the other with where; the first message is the whole state; leaving is seen', async () => {
    const outboxBefore = await sql`select count(*)::int as n from outbox`;
    const watcher = (await live(a.wsUrl, TEACHER2)).subscribe<Event>(PRESENCE_CHANGED, { c: course, where: 'grades' });
    const [snapshot] = await watcher.count(1);
    expect(snapshot.action).toBe('SNAPSHOT');
    expect(snapshot.entries).toContainEqual({ user: { id: ldb.f.user(TEACHER2) }, where: 'grades' });

    const samOnB = await live(b.wsUrl, SAM);
    const sam = samOnB.subscribe<Event>(PRESENCE_CHANGED, { c: course, where: 'chat' });
    const joined = await watcher.find(about(ldb.f.user(SAM), 'JOINED'));
    expect(joined.entry!.where).toBe('chat');
    // Sam's own first message is the whole state, teacher included (from the other instance).
    const [samSnapshot] = await sam.count(1);
    expect(samSnapshot.entries).toContainEqual({ user: { id: ldb.f.user(TEACHER2) }, where: 'grades' });
    const { presence } = await gqlOk(a.url, PRESENCE, { c: course }, await ldb.token(TEACHER2));
    expect(presence).toContainEqual({ user: { id: ldb.f.user(SAM) }, where: 'chat' });

    // A second tab elsewhere moves Sam; closing the first keeps Sam present (still one tab open).
    const tab2 = (await live(a.wsUrl, SAM)).subscribe<Event>(PRESENCE_CHANGED, { c: course, where: 'polls' });
    await watcher.find(about(ldb.f.user(SAM), 'MOVED'));
    sam.dispose();
    tab2.dispose();
    await watcher.find(about(ldb.f.user(SAM), 'LEFT'));
    expect(watcher.items.filter(about(ldb.f.user(SAM), 'LEFT'))).toHaveLength(1);
    // Nothing of it became an event.
    expect(await sql`select count(*)::int as n from outbox`).toEqual(outboxBefore);
  });

  it('hidden: subscribed without being shown', async () => {
    const watcher = (await live(a.wsUrl, TEACHER2)).subscribe<Event>(PRESENCE_CHANGED, { c: course, hidden: true });
    await watcher.count(1);
    const hiddenSam = (await live(b.wsUrl, SAM)).subscribe<Event>(PRESENCE_CHANGED, { c: course, hidden: true });
    const [samView] = await hiddenSam.count(1);
    expect(samView.entries).not.toContainEqual(expect.objectContaining({ user: { id: ldb.f.user(SAM) } }));
    const { presence } = await gqlOk(a.url, PRESENCE, { c: course }, await ldb.token(TEACHER2));
    expect(presence.map((p: { user: { id: string } }) => p.user.id)).not.toContain(ldb.f.user(SAM));
  });

  it('a foreign course is refused, by subscription and by query', async () => {
    const stream = (await live(a.wsUrl, outsider)).subscribe(PRESENCE_CHANGED, { c: course });
    await stream.ended();
    expect(stream.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const refused = await gql(a.url, PRESENCE, { c: course }, await ldb.token(outsider));
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('a direct message to someone reading the conversation', () => {
  const SEND = `mutation($id: ID!, $body: String!, $cm: String!) { sendMessage(conversationId: $id, body: $body, clientMessageId: $cm) { id } }`;
  const notified = async (body: string) =>
    (
      await sql`select 1 from notifications where user_id = ${ldb.f.user(TEACHER2)} and kind = 'DIRECT_MESSAGE' and message like ${`%${body}`}`
    ).length;

  it('notifies nobody while it is open in their tab on the other instance (even hidden), and notifies once it is closed', async () => {
    // Start from nobody present: the earlier tests' tabs close (and leave after the grace).
    await Promise.all(connections.splice(0).map((c) => c.dispose()));
    const teacher = ldb.f.user(TEACHER2);
    const present = async () =>
      ((await gqlOk(a.url, PRESENCE, { c: course }, await ldb.token(SAM))).presence as { user: { id: string } }[]).some(
        (p) => p.user.id === teacher,
      );
    await waitFor(async () => !(await present()), { what: 'the earlier tabs to leave' });

    const reading = (await live(b.wsUrl, TEACHER2)).subscribe<Event>(PRESENCE_CHANGED, {
      c: course,
      where: 'chat',
      conv: direct,
    });
    const hiddenReader = (await live(b.wsUrl, TEACHER2)).subscribe<Event>(PRESENCE_CHANGED, {
      c: course,
      hidden: true,
      conv: direct,
    });
    await Promise.all([reading.count(1), hiddenReader.count(1)]);
    await waitFor(present, { what: 'instance A to see the reader' });
    await gqlOk(a.url, SEND, { id: direct, body: 'read at once', cm: 'open-1' }, await ldb.token(SAM));
    expect(await notified('read at once')).toBe(0);

    reading.dispose();
    await waitFor(async () => !(await present()), { what: 'the visible tab to leave' });
    // Still open in the hidden tab: no notification.
    await gqlOk(a.url, SEND, { id: direct, body: 'still read', cm: 'open-2' }, await ldb.token(SAM));
    expect(await notified('still read')).toBe(0);

    hiddenReader.dispose();
    await waitFor(
      async () => {
        await gqlOk(a.url, SEND, { id: direct, body: 'left unread', cm: `open-3-${Date.now()}` }, await ldb.token(SAM));
        return (await notified('left unread')) > 0;
      },
      { intervalMs: 300, what: 'a notification once the conversation is closed' },
    );
  });

  it('refuses a conversation the subscriber may not read', async () => {
    const foreign = (await live(a.wsUrl, classmate)).subscribe(PRESENCE_CHANGED, { c: course, conv: direct });
    await foreign.ended();
    expect(foreign.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('typing', () => {
  const SET_TYPING = `mutation($id: ID!) { setTyping(conversationId: $id) }`;
  const typeUntil = async (email: string, heard: () => boolean) =>
    waitFor(
      async () => {
        await gqlOk(b.url, SET_TYPING, { id: direct }, await ldb.token(email));
        return heard();
      },
      { intervalMs: 100, what: `${email}'s typing to be heard` },
    );

  it('reaches the other participant on the other instance, never the typer, and expires', async () => {
    const teacher = (await live(a.wsUrl, TEACHER2)).subscribe(TYPING_CHANGED, { id: direct });
    const sam = (await live(b.wsUrl, SAM)).subscribe(TYPING_CHANGED, { id: direct });
    // A subscription has no acknowledgement: type until the other side's watcher hears it.
    await typeUntil(TEACHER2, () => sam.items.some((e) => e.typing && e.user.id === ldb.f.user(TEACHER2)));
    await typeUntil(SAM, () => teacher.items.some((e) => e.typing && e.user.id === ldb.f.user(SAM)));
    await teacher.find((e) => !e.typing && e.user.id === ldb.f.user(SAM), 10_000);
    expect(sam.items.some((e) => e.user.id === ldb.f.user(SAM))).toBe(false);
    expect(teacher.items.some((e) => e.user.id === ldb.f.user(TEACHER2))).toBe(false);
  });

  it('sending a message ends it at once', async () => {
    const teacher = (await live(a.wsUrl, TEACHER2)).subscribe(TYPING_CHANGED, { id: direct });
    await typeUntil(SAM, () => teacher.items.some((e) => e.typing));
    await gqlOk(
      b.url,
      `mutation($id: ID!) { sendMessage(conversationId: $id, body: "done", clientMessageId: "typing-ends") { id } }`,
      { id: direct },
      await ldb.token(SAM),
    );
    await teacher.find((e) => !e.typing);
  });

  it('is refused outside the conversation', async () => {
    const stream = (await live(a.wsUrl, classmate)).subscribe(TYPING_CHANGED, { id: direct });
    await stream.ended();
    expect(stream.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const refused = await gql(a.url, SET_TYPING, { id: direct }, await ldb.token(classmate));
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('membership lost mid-stream', () => {
  it('an unenrolled student’s presence and typing subscriptions end FORBIDDEN, and they leave everyone’s view', async () => {
    const mateId = ldb.f.user(classmate);
    const [{ id: channel }] = await sql<{ id: string }[]>`
      select id from conversations where course_id = ${course} and kind = 'CHANNEL'`;
    const watcher = (await live(a.wsUrl, TEACHER2)).subscribe<Event>(PRESENCE_CHANGED, { c: course });
    await watcher.count(1);
    const mate = await live(b.wsUrl, classmate);
    const present = mate.subscribe<Event>(PRESENCE_CHANGED, { c: course, where: 'chat' });
    const typing = mate.subscribe(TYPING_CHANGED, { id: channel });
    await present.count(1);
    await watcher.find(about(mateId, 'JOINED'));
    try {
      await sql`delete from enrolments where course_id = ${course} and student_id = ${mateId}`;
      await present.ended();
      await typing.ended();
      expect(present.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(typing.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      await watcher.find(about(mateId, 'LEFT'));
    } finally {
      await sql`insert into enrolments (course_id, student_id) values (${course}, ${mateId}) on conflict do nothing`;
    }
  });
});

describe('an instance that dies', () => {
  it('takes its users out of everyone’s view within the expiry (SIGKILL, no goodbye); its message subscriber resumes elsewhere missing and repeating nothing', async () => {
    const MESSAGES = `subscription($id: ID, $after: String) {
      messageChanged(conversationId: $id, after: $after) { cursor action messageId } }`;
    const say = async (body: string) =>
      (
        await gqlOk(
          a.url,
          `mutation($id: ID!, $b: String!, $cm: String!) { sendMessage(conversationId: $id, body: $b, clientMessageId: $cm) { id } }`,
          { id: direct, b: body, cm: `kill-${body}` },
          await ldb.token(SAM),
        )
      ).sendMessage.id as string;
    type MessageEvent = { cursor: string; action: string; messageId: string };

    const watcher = (await live(a.wsUrl, TEACHER2)).subscribe<Event>(PRESENCE_CHANGED, { c: course });
    await watcher.count(1);
    const sam = (await live(b.wsUrl, SAM)).subscribe<Event>(PRESENCE_CHANGED, { c: course, where: 'chat' });
    const onB = (await live(b.wsUrl, TEACHER2)).subscribe<MessageEvent>(MESSAGES, { id: direct });
    await sam.count(1);
    await watcher.find(about(ldb.f.user(SAM), 'JOINED'));
    const sent = [await say('before 1'), await say('before 2')];
    await onB.find((e) => e.messageId === sent[1]);

    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    await b.exited;
    sent.push(await say('while down 1'), await say('while down 2'));
    await watcher.find(about(ldb.f.user(SAM), 'LEFT'), 10_000);
    console.log(`presence: a killed instance's user left the other instance's view after ${Date.now() - killedAt} ms`);
    const { presence } = await gqlOk(a.url, PRESENCE, { c: course }, await ldb.token(TEACHER2));
    expect(presence.map((p: { user: { id: string } }) => p.user.id)).not.toContain(ldb.f.user(SAM));

    // The teacher's client reconnects to A from the last cursor it got on B.
    const seen = onB.items.filter((e) => sent.includes(e.messageId));
    const resumed = (await live(a.wsUrl, TEACHER2)).subscribe<MessageEvent>(MESSAGES, {
      id: direct,
      after: onB.items.at(-1)!.cursor,
    });
    sent.push(await say('after'));
    await resumed.find((e) => e.messageId === sent.at(-1));
    expect([...seen, ...resumed.items].map((e) => e.messageId)).toEqual(sent);
  });
});
