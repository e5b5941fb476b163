// Each topic's updater as graphcache runs it: a real urql client and cache, a network that answers
// queries with fixed data, and events pushed as subscription results (what the live connection
// does with every event it delivers).
import { Client, type Exchange, makeResult, type Operation, type OperationResult } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { describe, expect, it } from 'vitest';
import { filter, makeSubject, map, merge, pipe, share } from 'wonka';
import { keys, mutationUpdates, optimistic } from '../../cache';
import {
  AttendanceSheetQuery,
  ChatUnreadQuery,
  ConversationMessagesQuery,
  CourseStatsQuery,
  CoursesQuery,
  GradeSheetQuery,
  MESSAGES_PAGE_SIZE,
  NOTIFICATIONS_PAGE_SIZE,
  NotificationsQuery,
  PollsQuery,
} from '../../documents';
import type { CourseEvent } from './courses';
import type { GradeEvent } from './grades';
import { liveKeys, liveUpdates, TOPICS } from './index';
import type { MessageEvent } from './messages';
import type { NotificationEvent } from './notifications';
import type { PollEvent } from './polls';
import { stats as statsTopic } from './stats';

const fieldOf = (op: Operation) => {
  const def = op.query.definitions.find((d) => d.kind === 'OperationDefinition');
  const first = def?.kind === 'OperationDefinition' ? def.selectionSet.selections[0] : undefined;
  return first?.kind === 'Field' ? first.name.value : '';
};

/** A client whose network answers each query with `answers[operationName]` and never pushes by itself. */
function harness(viewerId: string, answers: Record<string, Record<string, unknown>>) {
  const pushed = makeSubject<OperationResult>();
  const subscriptions = new Map<string, Operation>();
  const network: Exchange = () => (ops$) => {
    const shared = pipe(ops$, share);
    return merge([
      pipe(
        shared,
        filter((op) => op.kind === 'query'),
        map((op) => {
          const def = op.query.definitions.find((d) => d.kind === 'OperationDefinition');
          const name = def?.kind === 'OperationDefinition' ? def.name?.value : undefined;
          return makeResult(op, { data: answers[name ?? ''] });
        }),
      ),
      pipe(
        shared,
        filter((op) => {
          if (op.kind === 'subscription') subscriptions.set(fieldOf(op), op);
          return false;
        }),
        map((op) => makeResult(op, { data: null })),
      ),
      pushed.source,
    ]);
  };
  const client = new Client({
    url: 'http://homeroom.test/graphql',
    exchanges: [
      cacheExchange({
        keys: { ...keys, ...liveKeys },
        updates: { ...liveUpdates({ viewerId }), Mutation: mutationUpdates },
        optimistic,
      }),
      network,
    ],
  });
  for (const topic of TOPICS) client.subscription(topic.document, {}).subscribe(() => {});
  return {
    client,
    /** Hands graphcache an event the way the live connection does: as its topic's subscription result. */
    push(field: string, event: unknown) {
      const op = subscriptions.get(field);
      if (!op) throw new Error(`no ${field} subscription`);
      pushed.next(makeResult(op, { data: { [field]: event } }));
    },
  };
}

const ref = <T extends string>(__typename: T, id: string) => ({ __typename, id });
const at = '2026-12-05T10:00:00.000Z';

describe('grade events', () => {
  const sheet = {
    course: {
      ...ref('Course', 'c1'),
      students: [{ ...ref('User', 's1'), name: 'Sam', email: 'sam@homeroom.test' }],
      assessments: [
        {
          ...ref('Assessment', 'a1'),
          title: 'Midterm',
          kind: 'EXAM',
          maxScore: 100,
          weight: 1,
          dueAt: null,
          grades: [],
        },
      ],
      standings: [],
    },
  };
  const gradeEvent = (action: GradeEvent['action'], cursor: string, score = 91): GradeEvent => ({
    __typename: 'GradeEvent',
    cursor,
    action,
    occurredAt: at,
    grade: {
      ...ref('Grade', 'g1'),
      __typename: 'Grade',
      score,
      note: null,
      updatedAt: at,
      student: ref('User', 's1'),
      assessment: { ...ref('Assessment', 'a1'), course: ref('Course', 'c1') },
    },
    standing: {
      __typename: 'Standing',
      id: 'c1:s1',
      average: score,
      graded: 1,
      total: 1,
      student: ref('User', 's1'),
    },
  });

  it('adds a new grade and standing to the sheet once, changes it in place, removes it on delete', async () => {
    const { client, push } = harness('instructor', { GradeSheet: sheet });
    await client.query(GradeSheetQuery, { id: 'c1' }).toPromise();
    const read = () => client.readQuery(GradeSheetQuery, { id: 'c1' })?.data?.course;

    push('gradeChanged', gradeEvent('CREATED', '1.1'));
    push('gradeChanged', gradeEvent('CREATED', '1.1')); // the same event twice changes nothing more
    expect(read()?.assessments[0].grades.map((g) => [g.id, g.score])).toEqual([['g1', 91]]);
    expect(read()?.standings.map((s) => [s.id, s.average])).toEqual([['c1:s1', 91]]);

    push('gradeChanged', gradeEvent('UPDATED', '1.2', 75));
    expect(read()?.assessments[0].grades.map((g) => [g.id, g.score])).toEqual([['g1', 75]]);

    push('gradeChanged', gradeEvent('DELETED', '1.3', 75));
    expect(read()?.assessments[0].grades).toEqual([]);
  });

  it('ignores RESYNC', async () => {
    const { client, push } = harness('instructor', { GradeSheet: sheet });
    await client.query(GradeSheetQuery, { id: 'c1' }).toPromise();
    push('gradeChanged', { ...gradeEvent('RESYNC', '1.1'), grade: null, standing: null });
    expect(client.readQuery(GradeSheetQuery, { id: 'c1' })?.data?.course?.assessments[0].grades).toEqual([]);
  });
});

describe('poll events', () => {
  const poll = (id: string, createdAt: string) => ({
    ...ref('Poll', id),
    question: `Question ${id}?`,
    status: 'OPEN' as const,
    closesAt: null,
    createdAt,
    totalVotes: 0,
    myVote: null,
    options: [{ ...ref('PollOption', `${id}-o1`), label: 'Yes', votes: 0 }],
  });
  const pollEvent = (p: ReturnType<typeof poll>, cursor: string): PollEvent => ({
    __typename: 'PollEvent',
    cursor,
    action: 'CREATED',
    occurredAt: at,
    vote: false,
    poll: { ...p, course: ref('Course', 'c1') },
  });

  it('puts a poll it has not seen into the list, newest first, once', async () => {
    const older = poll('p1', '2026-12-01T00:00:00.000Z');
    const { client, push } = harness('student', {
      Polls: { course: { ...ref('Course', 'c1'), viewerCanManage: false, polls: [older] } },
    });
    await client.query(PollsQuery, { id: 'c1' }).toPromise();
    const newer = poll('p2', '2026-12-04T00:00:00.000Z');
    push('pollChanged', pollEvent(newer, '1.1'));
    push('pollChanged', pollEvent(newer, '1.1'));
    const polls = client.readQuery(PollsQuery, { id: 'c1' })?.data?.course?.polls;
    expect(polls?.map((p) => p.id)).toEqual(['p2', 'p1']);
  });
});

describe('notification events', () => {
  const notification = (id: string, read: boolean) => ({
    ...ref('Notification', id),
    kind: 'GRADE_RECORDED' as const,
    message: `Notification ${id}`,
    link: null,
    read,
    createdAt: at,
  });
  const notificationEvent = (
    action: NotificationEvent['action'],
    cursor: string,
    n: ReturnType<typeof notification>,
  ): NotificationEvent => ({ __typename: 'NotificationEvent', cursor, action, occurredAt: at, notification: n });
  const page = (unreadCount: number, nodes: ReturnType<typeof notification>[]) => ({
    notifications: {
      __typename: 'NotificationConnection',
      unreadCount,
      pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
      edges: nodes.map((node) => ({ __typename: 'NotificationEdge', cursor: `c-${node.id}`, node })),
    },
  });

  it('adds a new notification on top and counts it unread exactly once', async () => {
    const { client, push } = harness('student', { Notifications: page(1, [notification('n1', false)]) });
    await client.query(NotificationsQuery, { first: NOTIFICATIONS_PAGE_SIZE }).toPromise();
    const read = () => client.readQuery(NotificationsQuery, { first: NOTIFICATIONS_PAGE_SIZE })?.data?.notifications;

    push('notificationReceived', notificationEvent('CREATED', '1.1', notification('n2', false)));
    push('notificationReceived', notificationEvent('CREATED', '1.1', notification('n2', false)));
    expect(read()?.edges.map((e) => e.node.id)).toEqual(['n2', 'n1']);
    expect(read()?.unreadCount).toBe(2);

    // Read elsewhere (another tab): the count moves by what changed, once.
    push('notificationReceived', notificationEvent('UPDATED', '1.2', notification('n1', true)));
    push('notificationReceived', notificationEvent('UPDATED', '1.2', notification('n1', true)));
    expect(read()?.unreadCount).toBe(1);

    push('notificationReceived', notificationEvent('DELETED', '1.3', notification('n2', false)));
    expect(read()?.edges.map((e) => e.node.id)).toEqual(['n1']);
    expect(read()?.unreadCount).toBe(0);
  });
});

describe('course events', () => {
  const course = (id: string, code: string) => ({
    ...ref('Course', id),
    code,
    title: `${code} title`,
    viewerCanManage: false,
    studentCount: 20,
    instructors: [{ ...ref('User', 'i1'), name: 'Irene' }],
    myStanding: null,
  });
  const courseEvent = (
    over: Partial<CourseEvent> & Pick<CourseEvent, 'cursor' | 'action' | 'change'>,
  ): CourseEvent => ({
    __typename: 'CourseEvent',
    occurredAt: at,
    courseId: 'c2',
    entityId: 's1',
    course: null,
    assessment: null,
    session: null,
    user: null,
    ...over,
  });
  const withStandings = (c: ReturnType<typeof course>) => ({ ...c, standings: [] });

  it('a dashboard gains a course with the enrolment, in code order, and loses it with the unenrolment', async () => {
    const { client, push } = harness('s1', {
      Courses: { courses: [course('c1', 'MATH101'), course('c3', 'PHYS110')] },
    });
    await client.query(CoursesQuery, { student: true }).toPromise();
    const codes = () => client.readQuery(CoursesQuery, { student: true })?.data?.courses.map((c) => c.code);

    const joined = { ...course('c2', 'HIST201'), __typename: 'Course' as const };
    push(
      'courseChanged',
      courseEvent({ cursor: '1.1', action: 'CREATED', change: 'ENROLMENT', course: withStandings(joined) }),
    );
    expect(codes()).toEqual(['HIST201', 'MATH101', 'PHYS110']);

    // Someone else's enrolment in a course of theirs changes nothing here.
    push('courseChanged', courseEvent({ cursor: '1.2', action: 'DELETED', change: 'ENROLMENT', entityId: 's9' }));
    expect(codes()).toEqual(['HIST201', 'MATH101', 'PHYS110']);

    push('courseChanged', courseEvent({ cursor: '1.3', action: 'DELETED', change: 'ENROLMENT' }));
    expect(codes()).toEqual(['MATH101', 'PHYS110']);
  });

  it('a new session joins the sheet in time order; a rescheduled one moves', async () => {
    const session = (id: string, startsAt: string) => ({
      ...ref('ClassSession', id),
      title: `Lesson ${id}`,
      startsAt,
      cancelledAt: null,
    });
    const sheet = {
      course: {
        ...ref('Course', 'c2'),
        students: [],
        sessions: [
          { ...session('x1', '2031-01-01T09:00:00.000Z'), records: [] },
          { ...session('x3', '2031-01-03T09:00:00.000Z'), records: [] },
        ],
        attendanceTotals: [],
      },
    };
    const { client, push } = harness('i1', { AttendanceSheet: sheet });
    await client.query(AttendanceSheetQuery, { id: 'c2' }).toPromise();
    const ids = () => client.readQuery(AttendanceSheetQuery, { id: 'c2' })?.data?.course?.sessions.map((s) => s.id);

    push(
      'courseChanged',
      courseEvent({
        cursor: '1.1',
        action: 'CREATED',
        change: 'SESSION',
        entityId: 'x2',
        session: session('x2', '2031-01-02T09:00:00.000Z'),
      }),
    );
    expect(ids()).toEqual(['x1', 'x2', 'x3']);
    push(
      'courseChanged',
      courseEvent({
        cursor: '1.2',
        action: 'UPDATED',
        change: 'SESSION',
        entityId: 'x1',
        session: session('x1', '2031-01-04T09:00:00.000Z'),
      }),
    );
    expect(ids()).toEqual(['x2', 'x3', 'x1']);
    push('courseChanged', courseEvent({ cursor: '1.3', action: 'DELETED', change: 'SESSION', entityId: 'x3' }));
    expect(ids()).toEqual(['x2', 'x1']);
  });
});

describe('statistics events (per course)', () => {
  it('replace the course’s statistics wherever they show', async () => {
    const stats = (classAverage: number) => ({
      __typename: 'CourseStats' as const,
      id: 'c1',
      classAverage,
      attendanceRate: 80,
      assessments: [],
      sessions: [],
    });
    const { client, push } = harness('i1', { CourseStats: { course: { ...ref('Course', 'c1'), stats: stats(70) } } });
    client.subscription(statsTopic.document, { courseId: 'c1' }).subscribe(() => {});
    await client.query(CourseStatsQuery, { id: 'c1' }).toPromise();
    push('statsChanged', {
      __typename: 'CourseStatsEvent',
      cursor: '1.1',
      action: 'UPDATED',
      occurredAt: at,
      courseId: 'c1',
      changes: 3,
      stats: stats(72.5),
    });
    expect(client.readQuery(CourseStatsQuery, { id: 'c1' })?.data?.course?.stats?.classAverage).toBe(72.5);
  });
});

describe('message events', () => {
  const message = (id: string, authorId: string, body = `Message ${id}`) => ({
    ...ref('Message', id),
    body,
    clientMessageId: `cm-${id}`,
    conversationId: 'conv1',
    createdAt: at,
    editedAt: null,
    author: { ...ref('User', authorId), name: authorId },
  });
  const messageEvent = (
    action: MessageEvent['action'],
    cursor: string,
    m: ReturnType<typeof message>,
  ): MessageEvent => ({
    __typename: 'MessageEvent',
    cursor,
    action,
    occurredAt: at,
    conversationId: 'conv1',
    messageId: m.id,
    message: action === 'DELETED' ? null : m,
  });
  const answers = {
    ConversationMessages: { conversation: { ...ref('Conversation', 'conv1'), messages: [message('m1', 'sam')] } },
    ChatUnread: { conversations: [{ ...ref('Conversation', 'conv1'), unreadCount: 0 }] },
  };

  it("joins the conversation's list once, counts another's message as unread once (not one's own), leaves on delete", async () => {
    const { client, push } = harness('teacher', answers);
    await client.query(ConversationMessagesQuery, { id: 'conv1', last: MESSAGES_PAGE_SIZE }).toPromise();
    await client.query(ChatUnreadQuery, { courseId: 'c1' }).toPromise();
    const ids = () =>
      client
        .readQuery(ConversationMessagesQuery, { id: 'conv1', last: MESSAGES_PAGE_SIZE })
        ?.data?.conversation?.messages.map((m) => m.id);
    const unread = () => client.readQuery(ChatUnreadQuery, { courseId: 'c1' })?.data?.conversations[0].unreadCount;

    push('messageChanged', messageEvent('CREATED', '1.1', message('m2', 'sam')));
    push('messageChanged', messageEvent('CREATED', '1.1', message('m2', 'sam'))); // twice: nothing more
    expect(ids()).toEqual(['m1', 'm2']);
    expect(unread()).toBe(1);

    push('messageChanged', messageEvent('CREATED', '1.2', message('m3', 'teacher')));
    expect(ids()).toEqual(['m1', 'm2', 'm3']);
    expect(unread()).toBe(1);

    push('messageChanged', messageEvent('UPDATED', '1.3', message('m2', 'sam', 'edited')));
    expect(
      client.readQuery(ConversationMessagesQuery, { id: 'conv1', last: MESSAGES_PAGE_SIZE })?.data?.conversation
        ?.messages[1].body,
    ).toBe('edited');
    push('messageChanged', messageEvent('DELETED', '1.4', message('m2', 'sam')));
    expect(ids()).toEqual(['m1', 'm3']);
  });
});
