/**
 * Capture (live contract 1) and retention: the triggers write exactly one outbox row per changed
 * row in the writing transaction, nothing on rollback, one NOTIFY per transaction; retention
 * prunes in batches behind the relay and leaves a watermark that turns old cursors into RESYNC.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Collector,
  connectLive,
  GRADE_CHANGED,
  gqlOk,
  LIVE_CURSOR,
  type LiveDatabase,
  openLiveDatabase,
  startTestApp,
  type TestApp,
  UPDATES,
  waitFor,
} from '../../test/live';
import { compareCursors, parseCursor } from './cursor';
import { pruneOutbox } from './retention';

let ldb: LiveDatabase;
let sql: postgres.Sql;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  sql = ldb.sql;
});
afterAll(() => ldb?.close());

type Row = {
  topic: string;
  action: string;
  course_id: string | null;
  audience_user_id: string | null;
  entity_id: string;
  data: any;
};

/** Runs `work` in one transaction; returns its xid and every outbox row that transaction wrote. */
async function captured(work: (tx: postgres.TransactionSql) => Promise<unknown>) {
  const xid = await sql.begin(async (tx) => {
    await work(tx);
    const [{ xid }] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
    return xid;
  });
  const rows = await sql<
    Row[]
  >`select topic, action, course_id, audience_user_id, entity_id, data from outbox where xid = ${xid}::xid8 order by id`;
  return { xid, rows, own: (topic: string) => rows.filter((r) => r.topic === topic) };
}

describe('capture: one outbox row per changed row, in the same transaction', () => {
  it('grades: insert, update, delete (plus the student’s notification when the score changes)', async () => {
    const c = ldb.f.course('HIST201');
    const student = ldb.f.user('student@homeroom.test');
    let id = '';
    const ins = await captured(async (tx) => {
      [{ id }] = await tx<
        { id: string }[]
      >`insert into grades (assessment_id, course_id, student_id, score) values (${c.assessments.Midterm.id}, ${c.id}, ${student}, 70) returning id`;
    });
    expect(ins.own('grade')).toEqual([
      {
        topic: 'grade',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: student,
        entity_id: id,
        data: { assessmentId: c.assessments.Midterm.id, studentId: student },
      },
    ]);
    expect(ins.own('notification')).toHaveLength(1);
    expect(ins.rows).toHaveLength(2);

    const note = await captured((tx) => tx`update grades set note = 'see me' where id = ${id}`);
    expect(note.rows).toMatchObject([{ topic: 'grade', action: 'UPDATED', entity_id: id, audience_user_id: student }]);

    const score = await captured((tx) => tx`update grades set score = 71 where id = ${id}`);
    expect(score.own('grade')).toMatchObject([{ action: 'UPDATED', entity_id: id }]);
    expect(score.own('notification')).toMatchObject([{ action: 'CREATED', audience_user_id: student }]);

    const del = await captured((tx) => tx`delete from grades where id = ${id}`);
    expect(del.rows).toMatchObject([
      { topic: 'grade', action: 'DELETED', entity_id: id, data: { score: 71, studentId: student } },
    ]);
  });

  it('attendance records: insert, update, delete', async () => {
    const c = ldb.f.course('HIST201');
    const student = ldb.f.user('student@homeroom.test');
    let id = '';
    const ins = await captured(async (tx) => {
      [{ id }] = await tx<{ id: string }[]>`
        insert into attendance_records (session_id, course_id, student_id, status) values (${c.sessions['Lesson 3']}, ${c.id}, ${student}, 'PRESENT') returning id`;
    });
    expect(ins.rows).toEqual([
      {
        topic: 'attendance',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: student,
        entity_id: id,
        data: { sessionId: c.sessions['Lesson 3'], studentId: student },
      },
    ]);
    expect(
      (await captured((tx) => tx`update attendance_records set status = 'LATE' where id = ${id}`)).rows,
    ).toMatchObject([{ topic: 'attendance', action: 'UPDATED', entity_id: id }]);
    expect((await captured((tx) => tx`delete from attendance_records where id = ${id}`)).rows).toMatchObject([
      { topic: 'attendance', action: 'DELETED', entity_id: id, data: { status: 'LATE' } },
    ]);
  });

  it('polls and ballots: a ballot is an update of its poll; opening notifies every student of the course', async () => {
    const c = ldb.f.course('HIST201');
    const student = ldb.f.user('student@homeroom.test');
    let pollId = '';
    const opened = await captured(async (tx) => {
      [{ id: pollId }] = await tx<
        { id: string }[]
      >`insert into polls (course_id, question) values (${c.id}, 'Capture?') returning id`;
    });
    expect(opened.own('poll')).toEqual([
      {
        topic: 'poll',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: null,
        entity_id: pollId,
        data: { pollId },
      },
    ]);
    expect(
      opened
        .own('notification')
        .map((r) => r.audience_user_id)
        .sort(),
    ).toEqual([...c.studentIds].sort());
    expect(opened.rows).toHaveLength(1 + c.studentIds.length);

    const [optA, optB] = await sql<
      { id: string }[]
    >`insert into poll_options (poll_id, label, position) values (${pollId}, 'A', 0), (${pollId}, 'B', 1) returning id`;
    let ballotId = '';
    const vote = await captured(async (tx) => {
      [{ id: ballotId }] = await tx<{ id: string }[]>`
        insert into ballots (poll_id, course_id, option_id, voter_id) values (${pollId}, ${c.id}, ${optA.id}, ${student}) returning id`;
    });
    expect(vote.rows).toEqual([
      {
        topic: 'poll',
        action: 'UPDATED',
        course_id: c.id,
        audience_user_id: null,
        entity_id: pollId,
        data: { pollId, ballot: true },
      },
    ]);
    expect(
      (await captured((tx) => tx`update ballots set option_id = ${optB.id} where id = ${ballotId}`)).rows,
    ).toMatchObject([{ topic: 'poll', action: 'UPDATED', entity_id: pollId }]);
    expect((await captured((tx) => tx`delete from ballots where id = ${ballotId}`)).rows).toMatchObject([
      { topic: 'poll', action: 'UPDATED', entity_id: pollId },
    ]);

    expect(
      (await captured((tx) => tx`update polls set status = 'CLOSED', closed_at = now() where id = ${pollId}`)).rows,
    ).toMatchObject([{ topic: 'poll', action: 'UPDATED', entity_id: pollId }]);
    expect((await captured((tx) => tx`delete from polls where id = ${pollId}`)).rows).toMatchObject([
      { topic: 'poll', action: 'DELETED', entity_id: pollId },
    ]);
  });

  it('posts and comments; an announcement notifies every member but its author', async () => {
    const c = ldb.f.course('HIST201');
    const author = c.instructorIds[0];
    let postId = '';
    const post = await captured(async (tx) => {
      [{ id: postId }] = await tx<
        { id: string }[]
      >`insert into posts (course_id, author_id, body) values (${c.id}, ${author}, 'plain') returning id`;
    });
    expect(post.rows).toEqual([
      {
        topic: 'content',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: null,
        entity_id: postId,
        data: { kind: 'post', postId },
      },
    ]);
    expect((await captured((tx) => tx`update posts set body = 'edited' where id = ${postId}`)).rows).toMatchObject([
      { topic: 'content', action: 'UPDATED', entity_id: postId },
    ]);

    let commentId = '';
    const comment = await captured(async (tx) => {
      [{ id: commentId }] = await tx<{ id: string }[]>`
        insert into comments (post_id, course_id, author_id, body) values (${postId}, ${c.id}, ${c.studentIds[0]}, 'hi') returning id`;
    });
    expect(comment.rows).toEqual([
      {
        topic: 'content',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: null,
        entity_id: commentId,
        data: { kind: 'comment', postId, commentId },
      },
    ]);
    expect((await captured((tx) => tx`update comments set body = 'hello' where id = ${commentId}`)).rows).toMatchObject(
      [{ action: 'UPDATED', entity_id: commentId }],
    );
    expect((await captured((tx) => tx`delete from comments where id = ${commentId}`)).rows).toMatchObject([
      { action: 'DELETED', entity_id: commentId },
    ]);
    expect((await captured((tx) => tx`delete from posts where id = ${postId}`)).rows).toMatchObject([
      { topic: 'content', action: 'DELETED', entity_id: postId },
    ]);

    const announcement = await captured(
      (tx) =>
        tx`insert into posts (course_id, author_id, body, announcement) values (${c.id}, ${author}, 'hear ye', true)`,
    );
    expect(announcement.own('content')).toHaveLength(1);
    const notified = announcement.own('notification').map((r) => r.audience_user_id);
    expect(notified.sort()).toEqual([...c.studentIds, ...c.instructorIds.filter((i) => i !== author)].sort());
  });

  it('notifications, enrolments and teaching assignments', async () => {
    const c = ldb.f.course('HIST201');
    const user = ldb.f.user('student11@homeroom.test');
    let id = '';
    const ins = await captured(async (tx) => {
      [{ id }] = await tx<
        { id: string }[]
      >`insert into notifications (user_id, course_id, kind, message) values (${user}, ${c.id}, 'ANNOUNCEMENT', 'x') returning id`;
    });
    expect(ins.rows).toEqual([
      {
        topic: 'notification',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: user,
        entity_id: id,
        data: { read: false },
      },
    ]);
    expect((await captured((tx) => tx`update notifications set read_at = now() where id = ${id}`)).rows).toMatchObject([
      { action: 'UPDATED', data: { read: true } },
    ]);
    expect((await captured((tx) => tx`delete from notifications where id = ${id}`)).rows).toMatchObject([
      { action: 'DELETED', entity_id: id },
    ]);

    // An enrolment: the student's notification (its trigger's name sorts first), the internal
    // membership row, then the courseChanged row.
    const enrol = await captured((tx) => tx`insert into enrolments (course_id, student_id) values (${c.id}, ${user})`);
    expect(enrol.rows).toEqual([
      {
        topic: 'notification',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: user,
        entity_id: expect.any(String),
        data: { read: false },
      },
      {
        topic: 'membership',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: user,
        entity_id: user,
        data: { role: 'STUDENT' },
      },
      {
        topic: 'course',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: user,
        entity_id: user,
        data: { kind: 'enrolment' },
      },
    ]);
    expect(
      (await captured((tx) => tx`delete from enrolments where course_id = ${c.id} and student_id = ${user}`)).rows,
    ).toMatchObject([
      { topic: 'membership', action: 'DELETED', audience_user_id: user },
      { topic: 'course', action: 'DELETED', audience_user_id: user, data: { kind: 'enrolment' } },
    ]);

    const teacher = ldb.f.user('instructor@homeroom.test');
    const assign = await captured(
      (tx) => tx`insert into teaching_assignments (course_id, instructor_id) values (${c.id}, ${teacher})`,
    );
    expect(assign.rows).toEqual([
      {
        topic: 'membership',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: teacher,
        entity_id: teacher,
        data: { role: 'INSTRUCTOR' },
      },
      {
        topic: 'course',
        action: 'CREATED',
        course_id: c.id,
        audience_user_id: teacher,
        entity_id: teacher,
        data: { kind: 'teaching' },
      },
    ]);
    expect(
      (
        await captured(
          (tx) => tx`delete from teaching_assignments where course_id = ${c.id} and instructor_id = ${teacher}`,
        )
      ).rows,
    ).toMatchObject([
      { topic: 'membership', action: 'DELETED', audience_user_id: teacher },
      { topic: 'course', action: 'DELETED', audience_user_id: teacher, data: { kind: 'teaching' } },
    ]);
  });

  it('assessments, sessions and courses: one courseChanged row each; a new assessment notifies the students', async () => {
    const c = ldb.f.course('PHYS110');
    let id = '';
    const added = await captured(async (tx) => {
      [{ id }] = await tx<{ id: string }[]>`
        insert into assessments (course_id, title, kind, max_score) values (${c.id}, 'Lab 9', 'ASSIGNMENT', 10) returning id`;
    });
    const course = { topic: 'course', course_id: c.id, audience_user_id: null };
    expect(added.rows.filter((r) => r.topic === 'course')).toEqual([
      { ...course, action: 'CREATED', entity_id: id, data: { kind: 'assessment' } },
    ]);
    expect(added.rows.filter((r) => r.topic === 'notification')).toHaveLength(c.studentIds.length);
    expect((await captured((tx) => tx`update assessments set weight = 2 where id = ${id}`)).rows).toEqual([
      { ...course, action: 'UPDATED', entity_id: id, data: { kind: 'assessment' } },
    ]);
    const session = c.sessions['Lesson 1'];
    expect(
      (await captured((tx) => tx`update class_sessions set title = 'Lesson one' where id = ${session}`)).rows,
    ).toEqual([{ ...course, action: 'UPDATED', entity_id: session, data: { kind: 'session' } }]);
    expect((await captured((tx) => tx`update courses set title = 'Physics' where id = ${c.id}`)).rows).toEqual([
      { ...course, action: 'UPDATED', entity_id: c.id, data: { kind: 'course' } },
    ]);
  });

  it('every outbox row carries the xid of the transaction that wrote it', async () => {
    const c = ldb.f.course('PHYS110');
    const { xid, rows } = await captured((tx) => tx`update grades set note = 'xid check' where course_id = ${c.id}`);
    expect(rows.length).toBe(c.studentIds.length * 2);
    const [{ n }] = await sql<
      { n: number }[]
    >`select count(*)::int as n from outbox where xid = ${xid}::xid8 and topic = 'grade'`;
    expect(n).toBe(rows.length);
  });
});

describe('capture: rollback and NOTIFY', () => {
  let listener: { unlisten(): Promise<void> };
  const notes = new Collector<string>();
  let sentinels = 0;
  beforeAll(async () => {
    listener = await sql.listen('outbox', (payload) => notes.push(payload));
  });
  afterAll(() => listener?.unlisten());

  /** NOTIFYs are delivered in commit order: everything before our sentinel came from the work before it. */
  async function notifiesDuring(work: () => Promise<unknown>): Promise<string[]> {
    const start = notes.items.length;
    await work();
    const sentinel = `sentinel-${++sentinels}`;
    await sql`select pg_notify('outbox', ${sentinel})`;
    await notes.find((p) => p === sentinel, 10_000, sentinel);
    const index = notes.items.indexOf(sentinel);
    return notes.items.slice(start, index);
  }

  it('a rolled-back transaction leaves no outbox row and sends no NOTIFY', async () => {
    const c = ldb.f.course('MATH101');
    const before = await sql<{ n: number }[]>`select count(*)::int as n from outbox`;
    let xid = '';
    const seen = await notifiesDuring(async () => {
      await sql
        .begin(async (tx) => {
          await tx`update grades set score = score where course_id = ${c.id}`;
          await tx`insert into posts (course_id, author_id, body, announcement) values (${c.id}, ${c.instructorIds[0]}, 'never', true)`;
          [{ xid }] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
          const [{ n }] = await tx<
            { n: number }[]
          >`select count(*)::int as n from outbox where xid = pg_current_xact_id()`;
          expect(n).toBeGreaterThan(c.studentIds.length); // written inside the transaction…
          throw new Error('roll back');
        })
        .catch((error: Error) => expect(error.message).toBe('roll back'));
    });
    expect(seen).toEqual([]);
    expect((await sql<{ n: number }[]>`select count(*)::int as n from outbox where xid = ${xid}::xid8`)[0].n).toBe(0); // …and gone with it
    expect((await sql<{ n: number }[]>`select count(*)::int as n from outbox`)[0].n).toBe(before[0].n);
  });

  it('a multi-row UPDATE of N grades writes N outbox rows and sends ONE notification', async () => {
    const c = ldb.f.course('MATH101');
    const quiz = c.assessments['Quiz 1'].id;
    const n = c.studentIds.length;
    let xid = '';
    const seen = await notifiesDuring(async () => {
      [{ xid }] = await sql<{ xid: string }[]>`
        with changed as (update grades set score = least(score + 1, 10) where assessment_id = ${quiz} and score < 10 returning 1)
        select pg_current_xact_id()::text as xid, (select count(*) from changed) as changed`;
    });
    const rows = await sql<
      { topic: string; n: number }[]
    >`select topic, count(*)::int as n from outbox where xid = ${xid}::xid8 group by topic order by topic`;
    const [{ changed }] = await sql<
      { changed: number }[]
    >`select count(*)::int as changed from grades where assessment_id = ${quiz}`;
    expect(changed).toBe(n);
    // Every grade whose score changed also notified its student (another statement per row, same transaction).
    const grades = rows.find((r) => r.topic === 'grade')!.n;
    expect(grades).toBeGreaterThan(n / 2);
    expect(rows).toEqual([
      { topic: 'grade', n: grades },
      { topic: 'notification', n: grades },
    ]);
    expect(seen).toEqual(['']);

    const notesOnly = await notifiesDuring(() => sql`update grades set note = 'bulk' where assessment_id = ${quiz}`);
    expect(notesOnly).toEqual(['']);
  });
});

describe('retention', () => {
  it('pruneOutbox deletes whole commits in batches, never beyond `upTo`, and records the watermark', async () => {
    // A statement-level trigger of this test database's own counts what each DELETE statement removed.
    await sql.unsafe(`
      create table prune_log (at timestamptz default clock_timestamp(), deleted int);
      create function tg_outbox__prune_log() returns trigger language plpgsql as $$
      begin insert into prune_log (deleted) select count(*) from gone; return null; end $$;
      create trigger outbox_prune_log after delete on outbox referencing old table as gone for each statement execute function tg_outbox__prune_log();`);
    try {
      const c = ldb.f.course('MATH101');
      for (let i = 0; i < 7; i++) await ldb.setGrade(c.assessments.Midterm.id, c.id, c.studentIds[i], 40 + i);
      const all = await ldb.outbox();
      const commitOf = (r: { cursor: string }) => r.cursor.split('.')[0];
      const commits = [...new Set(all.map(commitOf))];
      expect(commits.length).toBeGreaterThan(6);
      const upTo = all.find((r) => commitOf(r) === commits.at(-3))!; // the first event of the third-last commit
      const doomed = all.filter((r) => BigInt(commitOf(r)) < BigInt(commitOf(upTo)));
      const kept = all.slice(doomed.length).map((r) => r.cursor);
      // Batches of two commits: what each DELETE should remove.
      const perCommit = commits.slice(0, -3).map((pos) => doomed.filter((r) => commitOf(r) === pos).length);
      const expectedBatches = perCommit.flatMap((n, i) => (i % 2 === 0 ? [n + (perCommit[i + 1] ?? 0)] : []));

      expect(await pruneOutbox(sql, { olderThanDays: 7, upTo: parseCursor(upTo.cursor), batch: 2 })).toBe(0);
      expect((await ldb.outbox()).length).toBe(all.length);

      expect(await pruneOutbox(sql, { olderThanDays: 0, upTo: parseCursor(upTo.cursor), batch: 2 })).toBe(
        doomed.length,
      );
      expect((await ldb.outbox()).map((r) => r.cursor)).toEqual(kept);
      expect(
        (await sql<{ n: number }[]>`select count(*)::int as n from outbox_commits where pos < ${commitOf(upTo)}`)[0].n,
      ).toBe(0);
      const batches = (
        await sql<{ deleted: number }[]>`select deleted from prune_log where deleted > 0 order by at`
      ).map((r) => r.deleted);
      expect(batches).toEqual(expectedBatches);
      const watermark = async () =>
        (
          await sql<{ pruned: string }[]>`select pruned_pos::text || '.' || pruned_id::text as pruned from outbox_state`
        )[0].pruned;
      expect(await watermark()).toBe(doomed.at(-1)!.cursor);

      // Pruning less than before never moves the watermark back.
      expect(await pruneOutbox(sql, { olderThanDays: 0, upTo: parseCursor(all[0].cursor), batch: 2 })).toBe(0);
      expect(await watermark()).toBe(doomed.at(-1)!.cursor);
    } finally {
      await sql.unsafe(
        `drop trigger outbox_prune_log on outbox; drop function tg_outbox__prune_log(); drop table prune_log;`,
      );
    }
  });

  describe('with the relay pruning everything it published (OUTBOX_RETENTION_DAYS=0)', () => {
    let api: TestApp;
    beforeAll(async () => {
      api = await startTestApp({
        databaseUrl: ldb.url,
        env: { OUTBOX_RETENTION_DAYS: '0', OUTBOX_RETENTION_INTERVAL_MS: '1000', RELAY_SWEEP_MS: '100' },
      });
    });
    afterAll(() => api?.stop());

    it('never prunes past the published cursor; a cursor behind the watermark gets RESYNC first, then live events', async () => {
      const before = (await ldb.outbox())[0].cursor; // older than anything the relay will prune now
      const c = ldb.f.course('HIST201');
      await ldb.setGrade(c.assessments.Midterm.id, c.id, c.studentIds[1], 55);
      const state = await waitFor(
        async () => {
          const [s] = await sql<{ pruned: string | null; published: string | null }[]>`
            select pruned_pos::text || '.' || pruned_id::text as pruned, published_pos::text || '.' || published_id::text as published from outbox_state`;
          // Whole commits go, up to the one the relay published last (it may not be done with it).
          const left = await ldb.outbox();
          return s.pruned && s.published && left.every((r) => r.cursor.split('.')[0] === s.published!.split('.')[0])
            ? s
            : null;
        },
        { what: 'the relay to prune what it published' },
      );
      expect(compareCursors(parseCursor(state.pruned!), parseCursor(api.app.live.relay.publishedCursor()))).toBe(-1);

      const token = await ldb.token('instructor2@homeroom.test');
      const page = (await gqlOk(api.url, UPDATES, { after: before }, token)).updates;
      expect(page).toMatchObject({ resyncRequired: true, events: [] });

      const conn = connectLive(api.wsUrl, token);
      try {
        const stream = conn.subscribe(GRADE_CHANGED, { courseId: c.id, after: before });
        const [first] = await stream.count(1);
        expect(first).toMatchObject({ action: 'RESYNC', grade: null });
        // The RESYNC cursor is one the client can continue from: what is written now arrives after it.
        await ldb.setGrade(c.assessments.Midterm.id, c.id, c.studentIds[2], 66);
        const [, next] = await stream.count(2);
        expect(next).toMatchObject({ action: 'CREATED', grade: { score: 66, student: { id: c.studentIds[2] } } });
        expect(stream.items).toHaveLength(2);
        expect(compareCursors(parseCursor(next.cursor), parseCursor(first.cursor))).toBe(1);

        // A cursor at the watermark (liveCursor now) replays normally.
        const { liveCursor } = await gqlOk(api.url, LIVE_CURSOR, {}, token);
        expect((await gqlOk(api.url, UPDATES, { after: liveCursor }, token)).updates.resyncRequired).toBe(false);
      } finally {
        await conn.dispose();
      }
    });
  });
});
