/**
 * What each event carries (live contract 3): the entity as it is now, per viewer (myVote), derived
 * values that change with every event (standing, totals, tallies), deletions that can no longer be
 * re-read, and contentAvailable's coalesced counts. Also: subscriptions end with their transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTENT_AVAILABLE,
  connectLive,
  gqlOk,
  LIVE_CURSOR,
  type LiveConnection,
  newStreams,
  rawSocket,
  sseSubscribe,
  useLiveApp,
  waitFor,
} from '../../test/live';

const live = useLiveApp();
let appListeners = 0;
beforeAll(async () => {
  appListeners = live.api.app.live.hub.stats().listeners;
});

const conns: LiveConnection[] = [];
afterAll(() => Promise.all(conns.map((c) => c.dispose())));
async function connect(email: string) {
  const conn = connectLive(live.api.wsUrl, await live.ldb.token(email));
  conns.push(conn);
  return conn;
}

describe('event payloads', () => {
  it('gradeChanged: created, updated, deleted, each with the standing after it', async () => {
    const math = live.ldb.f.course('MATH101');
    const student = live.ldb.f.user('student@homeroom.test');
    const instructorToken = await live.ldb.token('instructor@homeroom.test');
    const registered = newStreams(live.api);
    const conn = await connect('student@homeroom.test');
    const stream = conn.subscribe(
      `subscription ($c: ID) { gradeChanged(courseId: $c) { cursor action grade { id score assessment { id } student { id } } standing { average graded total } } }`,
      { c: math.id },
    );
    await registered(1);
    const record = `mutation ($a: ID!, $s: ID!, $score: Float!) { recordGrade(assessmentId: $a, studentId: $s, score: $score) { id } }`;
    // One at a time: an event carries the entity as it is when delivered, not as it was.
    const { recordGrade } = await gqlOk(
      live.api.url,
      record,
      { a: math.assessments.Midterm.id, s: student, score: 50 },
      instructorToken,
    );
    await stream.count(1);
    await gqlOk(live.api.url, record, { a: math.assessments.Midterm.id, s: student, score: 100 }, instructorToken);
    await stream.count(2);
    await gqlOk(
      live.api.url,
      `mutation ($id: ID!) { deleteGrade(id: $id) { id } }`,
      { id: recordGrade.id },
      instructorToken,
    );
    const [created, updated, deleted] = await stream.count(3);
    const grade = { id: recordGrade.id, assessment: { id: math.assessments.Midterm.id }, student: { id: student } };
    expect(created).toMatchObject({ action: 'CREATED', grade: { ...grade, score: 50 }, standing: { graded: 3 } });
    expect(updated).toMatchObject({ action: 'UPDATED', grade: { ...grade, score: 100 }, standing: { graded: 3 } });
    expect(deleted).toMatchObject({ action: 'DELETED', grade: { ...grade, score: 100 }, standing: { graded: 2 } });
    // Each event computes the standing afresh: the midterm (weight 3) at 50% and then 100% moves it.
    expect(updated.standing.average).toBeGreaterThan(created.standing.average);
    expect(deleted.standing.total).toBe(created.standing.total);
  });

  it('attendanceChanged: the record and the student’s totals after it', async () => {
    const hist = live.ldb.f.course('HIST201');
    const student = live.ldb.f.user('student01@homeroom.test');
    const registered = newStreams(live.api);
    const conn = await connect('instructor2@homeroom.test');
    const stream = conn.subscribe(
      `subscription ($c: ID) { attendanceChanged(courseId: $c) { action record { status student { id } } totals { present late absent excused recorded } } }`,
      { c: hist.id },
    );
    await registered(1);
    const mark = `mutation ($s: ID!, $st: ID!, $status: AttendanceStatus!) { recordAttendance(sessionId: $s, studentId: $st, status: $status) { id } }`;
    const token = await live.ldb.token('instructor2@homeroom.test');
    await gqlOk(live.api.url, mark, { s: hist.sessions['Lesson 3'], st: student, status: 'LATE' }, token);
    // An event carries its entity as it is when delivered (docs/realtime.md), so the second write
    // waits for the first event: otherwise both may already show PRESENT.
    await stream.count(1);
    await gqlOk(live.api.url, mark, { s: hist.sessions['Lesson 3'], st: student, status: 'PRESENT' }, token);
    const [first, second] = await stream.count(2);
    expect(first).toMatchObject({ action: 'CREATED', record: { status: 'LATE', student: { id: student } } });
    expect(second).toMatchObject({ action: 'UPDATED', record: { status: 'PRESENT' } });
    expect(second.totals.recorded).toBe(first.totals.recorded);
    expect(second.totals.present).toBe(first.totals.present + 1);
    expect(second.totals.late).toBe(first.totals.late - 1);
  });

  it('pollChanged: live tallies after every vote, and each subscriber’s own vote', async () => {
    const phys = live.ldb.f.course('PHYS110');
    const [alice, bob] = ['student11@homeroom.test', 'student12@homeroom.test'];
    const q = `subscription ($p: ID) { pollChanged(pollId: $p) { action vote poll { status totalVotes myVote options { label votes } } } }`;
    const instructorToken = await live.ldb.token('instructor2@homeroom.test');
    const { openPoll } = await gqlOk(
      live.api.url,
      `mutation ($c: ID!) { openPoll(courseId: $c, question: "Lab day?", options: ["Tue", "Thu"]) { id options { id label } } }`,
      { c: phys.id },
      instructorToken,
    );
    const [tue, thu] = openPoll.options;
    // After a cursor read now: the poll's own CREATED event is not part of this test.
    const { liveCursor: after } = await gqlOk(live.api.url, LIVE_CURSOR, {}, instructorToken);
    const registered = newStreams(live.api);
    const streams = {
      alice: (await connect(alice)).subscribe(q, { p: openPoll.id, after }),
      bob: (await connect(bob)).subscribe(q, { p: openPoll.id, after }),
    };
    await registered(2);
    const vote = `mutation ($p: ID!, $o: ID!) { castVote(pollId: $p, optionId: $o) { id } }`;
    const step = async (n: number, work: () => Promise<unknown>) => {
      await work();
      for (const s of Object.values(streams)) await s.count(n);
    };
    await step(1, async () => gqlOk(live.api.url, vote, { p: openPoll.id, o: tue.id }, await live.ldb.token(alice)));
    await step(2, async () => gqlOk(live.api.url, vote, { p: openPoll.id, o: thu.id }, await live.ldb.token(bob)));
    await step(3, async () => gqlOk(live.api.url, vote, { p: openPoll.id, o: thu.id }, await live.ldb.token(alice))); // changes her ballot
    await step(4, () =>
      gqlOk(live.api.url, `mutation ($id: ID!) { closePoll(id: $id) { id } }`, { id: openPoll.id }, instructorToken),
    );

    const tallies = (e: any) => Object.fromEntries(e.poll.options.map((o: any) => [o.label, o.votes]));
    expect(streams.alice.items.map((e) => [e.action, e.vote, e.poll.totalVotes, tallies(e), e.poll.status])).toEqual([
      ['UPDATED', true, 1, { Tue: 1, Thu: 0 }, 'OPEN'],
      ['UPDATED', true, 2, { Tue: 1, Thu: 1 }, 'OPEN'],
      ['UPDATED', true, 2, { Tue: 0, Thu: 2 }, 'OPEN'],
      ['UPDATED', false, 2, { Tue: 0, Thu: 2 }, 'CLOSED'],
    ]);
    expect(streams.alice.items.map((e) => e.poll.myVote)).toEqual([tue.id, tue.id, thu.id, thu.id]);
    expect(streams.bob.items.map((e) => e.poll.myVote)).toEqual([null, thu.id, thu.id, thu.id]);
  });

  it('contentAvailable: a burst in a course arrives coalesced, with counts and the latest ids, not the content', async () => {
    const hist = live.ldb.f.course('HIST201');
    const author = live.ldb.f.user('student02@homeroom.test');
    const registered = newStreams(live.api);
    const conn = await connect('student@homeroom.test');
    const stream = conn.subscribe(CONTENT_AVAILABLE, { courseId: hist.id });
    await registered(1);
    const posts = await live.ldb.sql.begin(async (tx) => {
      const rows = await tx<
        { id: string }[]
      >`insert into posts (course_id, author_id, body) select ${hist.id}, ${author}, 'burst ' || g from generate_series(1, 5) g returning id`;
      await tx`insert into comments (post_id, course_id, author_id, body) values (${rows[0].id}, ${hist.id}, ${author}, 'c1'), (${rows[1].id}, ${hist.id}, ${author}, 'c2')`;
      return rows.map((r) => r.id);
    });
    const [message] = await stream.count(1);
    expect(message).toMatchObject({
      courseId: hist.id,
      changes: 7,
      newPosts: 5,
      newComments: 2,
      latestPostId: posts[4],
    });
    expect(new Set(message.postIds)).toEqual(new Set(posts));
    // Separate transactions in quick succession still leave as fewer messages than events.
    for (let i = 0; i < 6; i++)
      await live.ldb
        .sql`insert into posts (course_id, author_id, body) values (${hist.id}, ${author}, ${`one by one ${i}`})`;
    await stream.until(() => stream.items.reduce((n, m) => n + m.changes, 0) >= 13, 10_000, '13 changes in all');
    expect(stream.items.reduce((n, m) => n + m.changes, 0)).toBe(13);
    expect(stream.items.length).toBeLessThan(7);
  });
});

describe('subscriptions end with their transport', () => {
  // The app itself keeps one listener (accounts: close a user's sockets); streams add theirs on top.
  const listeners = () => live.api.app.live.hub.stats().listeners - appListeners;
  const none = (what: string) =>
    waitFor(() => listeners() === 0, { timeoutMs: 10_000, what: `no live listener after ${what}` });

  it('complete, socket close, socket terminate and SSE abort all unregister from the hub', async () => {
    await Promise.all(conns.splice(0).map((c) => c.dispose()));
    await none('closing the earlier tests’ sockets');
    const math = live.ldb.f.course('MATH101');
    const token = await live.ldb.token('instructor@homeroom.test');
    const q = `subscription ($c: ID) { gradeChanged(courseId: $c) { cursor } }`;

    const conn = connectLive(live.api.wsUrl, token);
    let registered = newStreams(live.api);
    const one = conn.subscribe(q, { c: math.id });
    conn.subscribe(q, { c: math.id });
    await registered(2);
    one.dispose(); // graphql-ws `complete`
    await waitFor(() => listeners() === 3, { what: 'one stream fewer (a stream listens on three routes)' });
    await conn.dispose();
    await none('closing the socket');

    registered = newStreams(live.api);
    const raw = rawSocket(live.api.wsUrl);
    await raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await raw.messages.find((m) => m.type === 'connection_ack');
    await raw.send({ id: '1', type: 'subscribe', payload: { query: q, variables: { c: math.id } } });
    await registered(1);
    raw.socket.terminate();
    await none('a dropped socket');

    const after = (await gqlOk(live.api.url, LIVE_CURSOR, {}, token)).liveCursor;
    registered = newStreams(live.api);
    const sse = await sseSubscribe(live.api.url, q, { c: math.id, after }, token);
    await registered(1);
    await sse.close();
    await none('an aborted SSE request');
  });
});
