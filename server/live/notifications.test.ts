/**
 * Notifications the system makes (PRODUCT.md "Notification … created when something happens to
 * you"), delivered live by notificationReceived: a grade recorded → that student; a poll opened →
 * the course's students; an announcement → every member but its author.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  connectLive,
  gqlOk,
  LIVE_CURSOR,
  type LiveConnection,
  type LiveStream,
  NOTIFICATION_RECEIVED,
  newStreams,
  useLiveApp,
} from '../../test/live';

const live = useLiveApp();

type Note = {
  cursor: string;
  action: string;
  notification: { id: string; kind: string; message: string; link: string | null; read: boolean };
};

describe('notifications created by the system', () => {
  const conns: LiveConnection[] = [];
  afterAll(() => Promise.all(conns.map((c) => c.dispose())));

  it('reach exactly the right people through notificationReceived, in order, with their message and link', async () => {
    const math = live.ldb.f.course('MATH101');
    const hist = live.ldb.f.course('HIST201');
    const WATCHED = [
      'student@homeroom.test',
      'student01@homeroom.test',
      'student11@homeroom.test',
      'instructor@homeroom.test',
      'instructor2@homeroom.test',
      'admin@homeroom.test',
    ];
    const token = Object.fromEntries(await Promise.all(WATCHED.map(async (e) => [e, await live.ldb.token(e)])));
    const streams: Record<string, LiveStream<Note>> = {};
    const registered = newStreams(live.api);
    for (const email of WATCHED) {
      const conn = connectLive(live.api.wsUrl, token[email]);
      conns.push(conn);
      streams[email] = conn.subscribe<Note>(NOTIFICATION_RECEIVED);
    }
    await registered(WATCHED.length);
    const start = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token['admin@homeroom.test'])).liveCursor as string;
    const instructor = token['instructor@homeroom.test'];

    // A grade for student@ (and the same score again: no second notification).
    const record = /* GraphQL */ `mutation ($a: ID!, $s: ID!, $score: Float!) { recordGrade(assessmentId: $a, studentId: $s, score: $score) { id } }`;
    await gqlOk(
      live.api.url,
      record,
      { a: math.assessments.Midterm.id, s: live.ldb.f.user('student@homeroom.test'), score: 88 },
      instructor,
    );
    await gqlOk(
      live.api.url,
      record,
      { a: math.assessments.Midterm.id, s: live.ldb.f.user('student@homeroom.test'), score: 88 },
      instructor,
    );
    // A poll in MATH: its students, not its instructor.
    const poll = await gqlOk(
      live.api.url,
      `mutation ($c: ID!) { openPoll(courseId: $c, question: "Field trip?", options: ["Yes", "No"]) { id } }`,
      { c: math.id },
      instructor,
    );
    // An announcement in HIST by instructor2@, with instructor@ assigned as a co-teacher first.
    await gqlOk(
      live.api.url,
      `mutation ($c: ID!, $i: ID!) { assignInstructor(courseId: $c, instructorId: $i) { id } }`,
      { c: hist.id, i: live.ldb.f.user('instructor@homeroom.test') },
      token['admin@homeroom.test'],
    );
    await gqlOk(
      live.api.url,
      `mutation ($c: ID!) { createPost(courseId: $c, body: "Exam moved to Friday", announcement: true) { id } }`,
      { c: hist.id },
      token['instructor2@homeroom.test'],
    );
    // A plain post notifies nobody.
    await gqlOk(
      live.api.url,
      `mutation ($c: ID!) { createPost(courseId: $c, body: "Just a post") { id } }`,
      { c: hist.id },
      token['student01@homeroom.test'],
    );

    const student = streams['student@homeroom.test'];
    const [grade] = await student.count(1);
    await gqlOk(
      live.api.url,
      `mutation ($id: ID!) { markNotificationRead(id: $id) { id read } }`,
      { id: grade.notification.id },
      token['student@homeroom.test'],
    );

    // A sentinel for everyone: once it arrives, everything before it has been delivered.
    await live.ldb.sql.begin(async (tx) => {
      for (const email of WATCHED)
        await tx`insert into notifications (user_id, kind, message) values (${live.ldb.f.user(email)}, 'ANNOUNCEMENT', 'sentinel')`;
    });
    for (const email of WATCHED)
      await streams[email].find((n) => n.notification?.message === 'sentinel', 10_000, `the sentinel for ${email}`);

    const summary = (email: string) =>
      streams[email].items.map(
        (n) => `${n.action} ${n.notification.kind}${n.notification.read ? ' (read)' : ''}: ${n.notification.message}`,
      );
    expect(summary('student@homeroom.test')).toEqual([
      'CREATED GRADE_RECORDED: MATH101 · Midterm: 88/100',
      'CREATED POLL_OPENED: MATH101 · New poll: Field trip?',
      'CREATED ANNOUNCEMENT: HIST201 · Announcement: Exam moved to Friday',
      'UPDATED GRADE_RECORDED (read): MATH101 · Midterm: 88/100',
      'CREATED ANNOUNCEMENT: sentinel',
    ]);
    expect(summary('student01@homeroom.test')).toEqual([
      'CREATED POLL_OPENED: MATH101 · New poll: Field trip?',
      'CREATED ANNOUNCEMENT: HIST201 · Announcement: Exam moved to Friday',
      'CREATED ANNOUNCEMENT: sentinel',
    ]);
    expect(summary('student11@homeroom.test')).toEqual([
      'CREATED POLL_OPENED: MATH101 · New poll: Field trip?',
      'CREATED ANNOUNCEMENT: sentinel',
    ]);
    expect(summary('instructor@homeroom.test')).toEqual([
      'CREATED ANNOUNCEMENT: HIST201 · Announcement: Exam moved to Friday',
      'CREATED ANNOUNCEMENT: sentinel',
    ]);
    expect(summary('instructor2@homeroom.test')).toEqual(['CREATED ANNOUNCEMENT: sentinel']);
    expect(summary('admin@homeroom.test')).toEqual(['CREATED ANNOUNCEMENT: sentinel']);
    expect(student.items.map((n) => n.notification.link).slice(0, 3)).toEqual([
      `/courses/${math.id}?tab=grades`,
      `/courses/${math.id}?tab=polls`,
      `/courses/${hist.id}?tab=feed`,
    ]);

    // Everyone the rules name got one, in the database too: each MATH student for the poll, each HIST member but the author for the announcement.
    const counts = await live.ldb.sql<{ kind: string; n: number }[]>`
      select kind::text, count(*)::int as n from notifications where created_at >= (
          select min(o.created_at) from outbox_commits c join outbox o on o.xid = c.xid
          where (c.pos, o.id) > (${start.split('.')[0]}::bigint, ${start.split('.')[1]}::bigint))
        and message <> 'sentinel' group by kind order by kind`;
    expect(counts).toEqual([
      { kind: 'ANNOUNCEMENT', n: hist.studentIds.length + 1 },
      { kind: 'GRADE_RECORDED', n: 1 },
      { kind: 'POLL_OPENED', n: math.studentIds.length },
    ]);
    expect(poll.openPoll.id).toBeTruthy();
  });

  it('notificationReceived replays a user’s own notifications after a cursor, and nobody else’s', async () => {
    const token = await live.ldb.token('student01@homeroom.test');
    const conn = connectLive(live.api.wsUrl, token);
    conns.push(conn);
    const replay = conn.subscribe<Note>(NOTIFICATION_RECEIVED, { after: '0.0' });
    const mine = (await live.ldb.outbox()).filter(
      (r) => r.topic === 'notification' && r.audience_user_id === live.ldb.f.user('student01@homeroom.test'),
    );
    await replay.find((n) => n.cursor === mine.at(-1)!.cursor, 10_000, 'the last of their notifications');
    expect(replay.cursors()).toEqual(mine.map((m) => m.cursor));
  });
});
