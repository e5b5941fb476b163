/**
 * Chat: conversations, messages, read markers, limits, and who may do what (every operation × role),
 * and the live topic `messageChanged` (live, replay, `updates`) with the same rules.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type ApiHarness, codes, SAM, startApi, TEACHER, TEACHER2, UNKNOWN_ID } from '../../test/api/api';
import { allUpdates, connectLive, gqlOk, type LiveConnection, newStreams, strictlyIncreasing } from '../../test/live';

let api: ApiHarness;
let sql: postgres.Sql;
const token = (email: string) => api.tokenFor(email);
const LIMIT = 6;

/** HIST201: taught by TEACHER2; SAM and ten classmates are enrolled; TEACHER teaches elsewhere. */
let course: string;
let classmate: string; // another student of HIST201
let outsider: string; // a student not in HIST201
let channel: string;
let direct: string; // SAM ↔ TEACHER2
const emailOf = (id: string) => Object.entries(api.f.users).find(([, v]) => v === id)![0];

const CONVERSATIONS = `query($c: ID!) { conversations(courseId: $c) { id kind unreadCount participants { id } } }`;
const CONVERSATION = `query($id: ID!, $last: Int, $before: ID) { conversation(id: $id) { id kind messages(last: $last, before: $before) { id body author { id } } } }`;
const START = `mutation($c: ID!, $u: ID!) { startDirectConversation(courseId: $c, userId: $u) { id kind participants { id } } }`;
const SEND = `mutation($id: ID!, $body: String!, $cm: String!) { sendMessage(conversationId: $id, body: $body, clientMessageId: $cm) { id body conversationId clientMessageId author { id } } }`;
const EDIT = `mutation($id: ID!, $body: String!) { editMessage(id: $id, body: $body) { id body editedAt } }`;
const DELETE = `mutation($id: ID!) { deleteMessage(id: $id) { id } }`;
const READ = `mutation($id: ID!, $upTo: ID) { markConversationRead(id: $id, upTo: $upTo) { id unreadCount } }`;
const MESSAGE_CHANGED = `subscription($c: ID, $conv: ID, $after: String) {
  messageChanged(courseId: $c, conversationId: $conv, after: $after) { cursor action conversationId messageId message { id body } } }`;

let sent = 0;
async function send(email: string, conversationId: string, body = `hello ${++sent}`) {
  const { sendMessage } = await api.ok(SEND, { id: conversationId, body, cm: `cm-${++sent}` }, await token(email));
  return sendMessage as { id: string; body: string };
}

beforeAll(async () => {
  api = await startApi({ WRITE_LIMIT_MESSAGES: `${LIMIT}/600` });
  sql = api.sql;
  const hist = api.f.course('HIST201');
  course = hist.id;
  classmate = hist.studentIds.find((id) => id !== api.f.user(SAM))!;
  outsider = api.f.course('MATH101').studentIds.find((id) => !hist.studentIds.includes(id))!;
  const { conversations } = await api.ok(CONVERSATIONS, { c: course }, await token(SAM));
  channel = conversations[0].id;
  const { startDirectConversation } = await api.ok(START, { c: course, u: api.f.user(TEACHER2) }, await token(SAM));
  direct = startDirectConversation.id;
});
afterAll(() => api?.stop());

describe('conversations', () => {
  it('every course has one channel, made with the course', async () => {
    const [{ n }] = await sql`select count(*)::int as n from conversations where kind = 'CHANNEL'`;
    const [{ courses }] = await sql`select count(*)::int as courses from courses`;
    expect(n).toBe(courses);
    const { createCourse } = await api.ok(
      `mutation { createCourse(code: "CHEM1", title: "Chemistry") { id } }`,
      {},
      await token(ADMIN),
    );
    const { conversations } = await api.ok(CONVERSATIONS, { c: createCourse.id }, await token(ADMIN));
    expect(conversations).toMatchObject([{ kind: 'CHANNEL', participants: [] }]);
  });

  it('a student sees the channel and their own direct conversations; the instructor theirs; an admin all', async () => {
    const kinds = async (email: string) =>
      (await api.ok(CONVERSATIONS, { c: course }, await token(email))).conversations.map((c: { id: string }) => c.id);
    expect(await kinds(SAM)).toEqual([channel, direct]);
    expect(await kinds(TEACHER2)).toEqual([channel, direct]);
    expect(await kinds(emailOf(classmate))).toEqual([channel]);
    expect(await kinds(ADMIN)).toEqual(expect.arrayContaining([channel, direct]));
    await api.refused(CONVERSATIONS, { c: course }, await token(emailOf(outsider)), 'FORBIDDEN');
    await api.refused(CONVERSATIONS, { c: course }, await token(TEACHER), 'FORBIDDEN');
  });

  it('starting the same direct conversation again returns it (from either side)', async () => {
    const again = await api.ok(START, { c: course, u: api.f.user(SAM) }, await token(TEACHER2));
    expect(again.startDirectConversation.id).toBe(direct);
    expect(again.startDirectConversation.participants.map((p: { id: string }) => p.id).sort()).toEqual(
      [api.f.user(SAM), api.f.user(TEACHER2)].sort(),
    );
  });

  it.each([
    ['a student with a classmate', () => SAM, () => classmate, 'FORBIDDEN'],
    ['a student with someone outside the course', () => SAM, () => api.f.user(TEACHER), 'BAD_USER_INPUT'],
    ['an outsider', () => emailOf(outsider), () => api.f.user(TEACHER2), 'FORBIDDEN'],
    ['oneself', () => SAM, () => api.f.user(SAM), 'BAD_USER_INPUT'],
    ['an unknown user', () => SAM, () => UNKNOWN_ID, 'NOT_FOUND'],
  ])('no direct conversation for %s', async (_what, from, to, code) => {
    const before = await sql`select count(*)::int as n from conversations`;
    await api.refused(START, { c: course, u: to() }, await token(from()), code);
    expect(await sql`select count(*)::int as n from conversations`).toEqual(before);
  });
});

describe('who may do what', () => {
  type Who = 'author' | 'classmate' | 'outsider' | 'ownInstructor' | 'foreignInstructor' | 'admin';
  const as = (who: Who) =>
    ({
      author: SAM,
      classmate: emailOf(classmate),
      outsider: emailOf(outsider),
      ownInstructor: TEACHER2,
      foreignInstructor: TEACHER,
      admin: ADMIN,
    })[who];
  const everyone: Who[] = ['author', 'classmate', 'outsider', 'ownInstructor', 'foreignInstructor', 'admin'];

  /** Who may, per operation and conversation (SAM wrote the message; the direct one is SAM ↔ TEACHER2). */
  const matrix: Record<string, Record<'channel' | 'direct', Who[]>> = {
    read: { channel: ['author', 'classmate', 'ownInstructor', 'admin'], direct: ['author', 'ownInstructor', 'admin'] },
    send: { channel: ['author', 'classmate', 'ownInstructor', 'admin'], direct: ['author', 'ownInstructor'] },
    edit: { channel: ['author'], direct: ['author'] },
    delete: { channel: ['author', 'ownInstructor', 'admin'], direct: ['author', 'admin'] },
    markRead: {
      channel: ['author', 'classmate', 'ownInstructor', 'admin'],
      direct: ['author', 'ownInstructor', 'admin'],
    },
    subscribe: {
      channel: ['author', 'classmate', 'ownInstructor', 'admin'],
      direct: ['author', 'ownInstructor', 'admin'],
    },
  };

  const run = async (operation: string, conversation: string, who: Who) => {
    const t = await token(as(who));
    switch (operation) {
      case 'read':
        return api.gql(CONVERSATION, { id: conversation }, t);
      case 'send':
        return api.gql(SEND, { id: conversation, body: 'hi', cm: `matrix-${++sent}` }, t);
      case 'edit':
        return api.gql(EDIT, { id: (await send(SAM, conversation)).id, body: 'edited' }, t);
      case 'delete':
        return api.gql(DELETE, { id: (await send(SAM, conversation)).id }, t);
      case 'markRead':
        return api.gql(READ, { id: conversation }, t);
      default: {
        const conn = connectLive(api.server.wsUrl, t);
        try {
          const stream = conn.subscribe(MESSAGE_CHANGED, { conv: conversation, after: '0.0' });
          await stream.until(() => stream.done || stream.items.length > 0 || stream.errors.length > 0, 10_000);
          return { errors: stream.errors.length ? stream.errors : undefined };
        } finally {
          await conn.dispose();
        }
      }
    }
  };

  for (const [operation, allowed] of Object.entries(matrix))
    for (const where of ['channel', 'direct'] as const)
      it.each(everyone)(`${operation} in the ${where}: %s`, async (who) => {
        // The author's own sends count against their rate; give each case a fresh window.
        await sql`delete from rate_limits`;
        if (operation === 'subscribe' && where === 'channel') await send(SAM, channel);
        if (operation === 'subscribe' && where === 'direct') await send(SAM, direct);
        const result = await run(operation, where === 'channel' ? channel : direct, who);
        if (allowed[where].includes(who)) expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
        else expect(codes(result as never)).toEqual(['FORBIDDEN']);
      });
});

describe('messages', () => {
  it('sendMessage is idempotent per sender and clientMessageId: one row, one event, the same answer', async () => {
    await sql`delete from rate_limits`;
    const t = await token(SAM);
    const first = await api.ok(SEND, { id: channel, body: 'once', cm: 'same-id' }, t);
    const again = await api.ok(SEND, { id: channel, body: 'once (retried)', cm: 'same-id' }, t);
    expect(again.sendMessage).toEqual(first.sendMessage);
    const rows = await sql`select id from messages where client_message_id = 'same-id'`;
    expect(rows).toHaveLength(1);
    const events = await sql`select id from outbox where topic = 'message' and entity_id = ${rows[0].id}`;
    expect(events).toHaveLength(1);
    // Another sender may use the same client id; the same sender may not reuse it elsewhere.
    const other = await api.ok(SEND, { id: channel, body: 'mine', cm: 'same-id' }, await token(TEACHER2));
    expect(other.sendMessage.id).not.toBe(first.sendMessage.id);
    await api.refused(SEND, { id: direct, body: 'x', cm: 'same-id' }, t, 'BAD_USER_INPUT');
  });

  it('concurrent duplicates make one message', async () => {
    await sql`delete from rate_limits`;
    const t = await token(SAM);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => api.ok(SEND, { id: channel, body: 'race', cm: 'race-id' }, t)),
    );
    expect(new Set(results.map((r) => r.sendMessage.id)).size).toBe(1);
    expect(await sql`select id from messages where client_message_id = 'race-id'`).toHaveLength(1);
  });

  it('refuses an empty or too long body and changes nothing', async () => {
    const before = await sql`select count(*)::int as n from messages`;
    const t = await token(SAM);
    await api.refused(SEND, { id: channel, body: '  ', cm: 'empty' }, t, 'BAD_USER_INPUT');
    await api.refused(SEND, { id: channel, body: 'x'.repeat(4001), cm: 'long' }, t, 'BAD_USER_INPUT');
    await api.ok(SEND, { id: channel, body: 'x'.repeat(4000), cm: 'longest' }, t);
    expect((await sql`select count(*)::int as n from messages`)[0].n).toBe(before[0].n + 1);
  });

  it(`past ${LIMIT} messages in the window: TOO_MANY_REQUESTS with when to retry; a retried send still answers`, async () => {
    await sql`delete from rate_limits`;
    const t = await token(SAM);
    for (let i = 0; i < LIMIT; i++) await api.ok(SEND, { id: channel, body: `n${i}`, cm: `rate-${i}` }, t);
    const error = await api.refused(SEND, { id: channel, body: 'one more', cm: 'rate-over' }, t, 'TOO_MANY_REQUESTS');
    expect(error.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    await api.ok(SEND, { id: channel, body: 'n0', cm: 'rate-0' }, t);
  });

  it('pages with last/before, oldest first', async () => {
    await sql`delete from rate_limits`;
    const { startDirectConversation: c } = await api.ok(
      START,
      { c: course, u: api.f.user(TEACHER2) },
      await token(emailOf(classmate)),
    );
    const bodies = ['a', 'b', 'c', 'd'];
    for (const body of bodies) await send(emailOf(classmate), c.id, body);
    const t = await token(TEACHER2);
    const { conversation: last2 } = await api.ok(CONVERSATION, { id: c.id, last: 2 }, t);
    expect(last2.messages.map((m: { body: string }) => m.body)).toEqual(['c', 'd']);
    const { conversation: earlier } = await api.ok(
      CONVERSATION,
      { id: c.id, last: 5, before: last2.messages[0].id },
      t,
    );
    expect(earlier.messages.map((m: { body: string }) => m.body)).toEqual(['a', 'b']);
  });

  it('unread counts others’ messages after the read marker; a direct message notifies the other side', async () => {
    await sql`delete from rate_limits`;
    const unread = async (email: string) =>
      (await api.ok(CONVERSATIONS, { c: course }, await token(email))).conversations.find(
        (c: { id: string }) => c.id === direct,
      ).unreadCount;
    await api.ok(READ, { id: direct }, await token(TEACHER2));
    await api.ok(READ, { id: direct }, await token(SAM));
    const m1 = await send(SAM, direct, 'question one');
    await send(SAM, direct, 'question two');
    expect(await unread(TEACHER2)).toBe(2);
    expect(await unread(SAM)).toBe(0);
    await api.ok(READ, { id: direct, upTo: m1.id }, await token(TEACHER2));
    expect(await unread(TEACHER2)).toBe(1);
    await api.ok(READ, { id: direct }, await token(TEACHER2));
    expect(await unread(TEACHER2)).toBe(0);
    // The marker never moves back.
    await api.ok(READ, { id: direct, upTo: m1.id }, await token(TEACHER2));
    expect(await unread(TEACHER2)).toBe(0);
    const told =
      await sql`select message, link from notifications where kind = 'DIRECT_MESSAGE' and user_id = ${api.f.user(TEACHER2)} and message like '%question two%'`;
    expect(told).toHaveLength(1);
    expect(told[0].link).toContain(direct);
  });
});

describe('messageChanged', () => {
  const conns: LiveConnection[] = [];
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.dispose()));
  });
  const live = async (email: string) => {
    const conn = connectLive(api.server.wsUrl, await token(email));
    conns.push(conn);
    return conn;
  };

  it('live: the channel reaches every member, a direct message only its participants and admins', async () => {
    await sql`delete from rate_limits`;
    const registered = newStreams(api.server);
    const streams = {
      sam: (await live(SAM)).subscribe(MESSAGE_CHANGED, { c: course }),
      classmate: (await live(emailOf(classmate))).subscribe(MESSAGE_CHANGED, { c: course }),
      teacher: (await live(TEACHER2)).subscribe(MESSAGE_CHANGED, { c: course }),
      admin: (await live(ADMIN)).subscribe(MESSAGE_CHANGED, {}),
      samDirect: (await live(SAM)).subscribe(MESSAGE_CHANGED, { conv: direct }),
    };
    await registered(5);
    const privately = await send(TEACHER2, direct, 'just for you');
    const openly = await send(TEACHER2, channel, 'for everyone');
    for (const s of [streams.sam, streams.teacher, streams.admin])
      await s.find((e) => e.messageId === openly.id, 10_000, 'the channel message');
    await streams.classmate.find((e) => e.messageId === openly.id);
    await streams.samDirect.find((e) => e.messageId === privately.id);
    expect(streams.sam.items.find((e) => e.messageId === privately.id)).toMatchObject({
      action: 'CREATED',
      conversationId: direct,
      message: { id: privately.id, body: 'just for you' },
    });
    expect(streams.admin.items.some((e) => e.messageId === privately.id)).toBe(true);
    // The classmate saw the later channel message, so the earlier direct one would have come first.
    expect(streams.classmate.items.some((e) => e.messageId === privately.id)).toBe(false);
    expect(streams.samDirect.items.every((e) => e.conversationId === direct)).toBe(true);

    await api.ok(EDIT, { id: privately.id, body: 'edited' }, await token(TEACHER2));
    await api.ok(DELETE, { id: privately.id }, await token(TEACHER2));
    const deleted = await streams.samDirect.find((e) => e.action === 'DELETED');
    expect(deleted).toMatchObject({ messageId: privately.id, message: null, conversationId: direct });
    expect(streams.samDirect.items.filter((e) => e.messageId === privately.id).map((e) => e.action)).toEqual([
      'CREATED',
      'UPDATED',
      'DELETED',
    ]);
  });

  it('exact at the seam: a replay opened while messages are being written gets each once, in commit order', async () => {
    const teacher = api.f.user(TEACHER2);
    const after = (await gqlOk(api.server.url, '{ liveCursor }', {}, await token(SAM))).liveCursor;
    const written: string[] = [];
    // One transaction per message, straight in SQL (no rate limit), while the subscription starts.
    const writing = (async () => {
      for (let i = 0; i < 40; i++) {
        const [row] = await sql<{ id: string }[]>`
          insert into messages (conversation_id, course_id, author_id, client_message_id, body)
          values (${channel}, ${course}, ${teacher}, ${`seam-${i}`}, ${`seam ${i}`}) returning id`;
        written.push(row.id);
      }
    })();
    while (written.length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    const stream = (await live(SAM)).subscribe(MESSAGE_CHANGED, { conv: channel, after });
    await writing;
    await stream.find((e) => e.messageId === written.at(-1), 15_000, 'the last message written');
    expect(stream.items.map((e) => e.messageId)).toEqual(written);
    expect(stream.items.every((e) => e.action === 'CREATED')).toBe(true);
    expect(strictlyIncreasing(stream.cursors())).toBe(true);
    expect(stream.errors).toEqual([]);
  });

  it('a cursor older than the outbox keeps: RESYNC first (live and `updates`), then the next messages', async () => {
    await sql`delete from rate_limits`;
    const t = await token(SAM);
    // A cursor from before this instance started: its hub's recent events (which `updates` answers
    // from without an outbox read) never held what follows it, so the retention check decides. (Real
    // retention prunes only what is older than the hub keeps: live/recent.ts.)
    const [{ before }] = await sql<{ before: string }[]>`
      select c.pos::text || '.' || o.id::text as before from outbox_commits c join outbox o on o.xid = c.xid
      order by c.pos, o.id limit 1`;
    await send(SAM, channel, 'pruned away');
    // What retention does after OUTBOX_RETENTION_DAYS: everything up to now is gone.
    const now = (await gqlOk(api.server.url, '{ liveCursor }', {}, t)).liveCursor as string;
    const [pos, id] = now.split('.');
    const [kept] = await sql`select pruned_pos, pruned_id from outbox_state where id = 1`;
    await sql`update outbox_state set pruned_pos = ${pos}, pruned_id = ${id} where id = 1`;
    try {
      const stream = (await live(SAM)).subscribe(MESSAGE_CHANGED, { c: course, after: before });
      const [first] = await stream.count(1);
      expect(first).toMatchObject({ action: 'RESYNC', message: null, messageId: null });
      const page = await allUpdates(api.server.url, t, before, course);
      expect(page.resyncRequired).toBe(true);
      const next = await send(TEACHER2, channel, 'after the resync');
      await stream.find((e) => e.messageId === next.id);
      expect(stream.items.map((e) => e.action)).toEqual(['RESYNC', 'CREATED']);
    } finally {
      await sql`update outbox_state set pruned_pos = ${kept.pruned_pos}, pruned_id = ${kept.pruned_id} where id = 1`;
    }
  });

  it('replay after a cursor and `updates` carry the same messages, with the same rules', async () => {
    await sql`delete from rate_limits`;
    const after = (await gqlOk(api.server.url, '{ liveCursor }', {}, await token(SAM))).liveCursor;
    const privately = await send(SAM, direct, 'replayed privately');
    const openly = await send(SAM, channel, 'replayed openly');
    const replay = (await live(SAM)).subscribe(MESSAGE_CHANGED, { c: course, after });
    const got = await replay.count(2);
    expect(got.map((e) => e.messageId)).toEqual([privately.id, openly.id]);
    const classmateReplay = (await live(emailOf(classmate))).subscribe(MESSAGE_CHANGED, { c: course, after });
    await classmateReplay.find((e) => e.messageId === openly.id);
    expect(classmateReplay.items.map((e) => e.messageId)).toEqual([openly.id]);

    const typenames = async (email: string) =>
      (await allUpdates(api.server.url, await token(email), after, course)).events
        .filter((e) => e.__typename === 'MessageEvent')
        .map((e) => e.cursor);
    expect(await typenames(SAM)).toHaveLength(2);
    expect(await typenames(emailOf(classmate))).toHaveLength(1);
    expect(await typenames(ADMIN)).toHaveLength(2);
  });
});
