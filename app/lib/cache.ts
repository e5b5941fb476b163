// graphcache configuration: how entities are keyed, how mutation results update lists, and the
// optimistic ballot. Entities (Grade, Poll, Standing, …) update themselves when a result carries
// them; only lists, links and derived values need code here. Live (subscription) updaters are
// declared with their topic in ./live/topics.
import type {
  Cache,
  Data,
  DataFields,
  KeyingConfig,
  OptimisticMutationConfig,
  UpdateResolver,
  UpdatesConfig,
  Variables,
} from '@urql/exchange-graphcache';
import {
  type AttendanceStatus,
  type CastVoteMutation,
  CreateAssessmentMutation,
  CreateCommentMutation,
  CreateCourseMutation,
  CreatePostMutation,
  CreateSessionMutation,
  CreateUserMutation,
  DeleteAssessmentMutation,
  DeleteCommentMutation,
  DeleteGradeMutation,
  DeleteMessageMutation,
  DeletePostMutation,
  FEED_PAGE_SIZE,
  FeedQuery,
  type MarkAllPresentMutation,
  OpenPollMutation,
  PollFields,
  RecordAttendanceMutation,
  RecordFields,
  RecordGradeMutation,
  SendMessageMutation,
  StartDirectConversationMutation,
  UnenrolStudentMutation,
} from './documents';
import { graphql, type TadaDocumentNode, type VariablesOf } from './graphql';
import { getSession } from './session';

type Key = string;

/** Relay connections, edges and payloads are embedded in their parent (they have no identity). */
const embedded = () => null;
export const keys: KeyingConfig = {
  Standing: (d) => (d.id as string) ?? null, // "<courseId>:<studentId>"
  AttendanceTotals: (d) => (d.id as string) ?? null, // "<courseId>:<studentId>"
  PollOption: (d) => (d.id as string) ?? null,
  AuthPayload: embedded,
  PageInfo: embedded,
  PostConnection: embedded,
  PostEdge: embedded,
  NotificationConnection: embedded,
  NotificationEdge: embedded,
  UpdatesPage: embedded,
  // Course.stats (CourseStats, keyed by its course's id) holds these rows.
  AssessmentStats: embedded,
  SessionAttendanceStats: embedded,
  // Live event types are embedded too: ./live/topics (liveKeys) lists them.
};

/** Adds `item` to the list at entity.field unless it is there already (lists not loaded are left alone). */
export function addToList(cache: Cache, entity: Key | null, field: string, item: Data, where: 'start' | 'end' = 'end') {
  if (!entity) return;
  const list = cache.resolve(entity, field);
  const itemKey = cache.keyOfEntity(item);
  if (!Array.isArray(list) || !itemKey) return;
  const keysNow = list as Key[];
  if (keysNow.includes(itemKey)) return;
  cache.link(entity, field, where === 'start' ? [itemKey, ...keysNow] : [...keysNow, itemKey]);
}

/** Links entity.field to `item` when that field is loaded (undefined: no view asked for it). */
export function linkIfLoaded(cache: Cache, entity: Key, field: string, item: Data | null) {
  if (cache.resolve(entity, field) !== undefined) cache.link(entity, field, item);
}

/** Removes the entity `itemKey` from the list at entity.field, if that list is loaded. */
export function removeFromList(cache: Cache, entity: Key, field: string, itemKey: Key) {
  const list = cache.resolve(entity, field);
  if (Array.isArray(list) && (list as Key[]).includes(itemKey))
    cache.link(
      entity,
      field,
      (list as Key[]).filter((k) => k !== itemKey),
    );
}

/** Refetches every variant (any arguments) of entity.field that the cache holds. */
function invalidateField(cache: Cache, entity: Key, field: string) {
  for (const f of cache.inspectFields(entity)) {
    if (f.fieldName === field) cache.invalidate(entity, f.fieldName, f.arguments ?? undefined);
  }
}

const course = (id: string) => `Course:${id}`;

// ---- chat -----------------------------------------------------------------------------------
const conversation = (id: string) => `Conversation:${id}`;

/**
 * Each loaded list of a conversation's messages: the latest (any page size) and, with `earlier`,
 * the older pages too (a new message joins only the latest; a deleted one leaves wherever it is).
 */
function messageLists(cache: Cache, conversationId: string, { earlier = false } = {}) {
  const key = conversation(conversationId);
  return cache
    .inspectFields(key)
    .filter((f) => f.fieldName === 'messages' && (earlier || !f.arguments?.before))
    .map((f) => ({ key, args: f.arguments ?? null, list: cache.resolve(key, 'messages', f.arguments ?? undefined) }))
    .filter((l): l is { key: string; args: Variables | null; list: Key[] } => Array.isArray(l.list));
}

/** A message joins the end of its conversation's loaded lists (once, whether by the sender's answer or the event). */
export function addMessage(cache: Cache, conversationId: string, message: Data) {
  const messageKey = cache.keyOfEntity(message);
  if (!messageKey) return;
  for (const { key, args, list } of messageLists(cache, conversationId))
    if (!list.includes(messageKey)) cache.link(key, 'messages', args, [...list, messageKey]);
}

/** A deleted message leaves its conversation's lists (not invalidated: a missing non-null item would blank the list). */
export function removeMessage(cache: Cache, conversationId: string, messageId: string) {
  const messageKey = `Message:${messageId}`;
  for (const { key, args, list } of messageLists(cache, conversationId, { earlier: true }))
    if (list.includes(messageKey))
      cache.link(
        key,
        'messages',
        args,
        list.filter((k) => k !== messageKey),
      );
}

const UnreadFields = graphql(`fragment UnreadFields on Conversation { __typename id unreadCount }`);

/** One more unread message in the conversation, if its count is loaded. */
export function bumpUnread(cache: Cache, conversationId: string) {
  const count = cache.resolve(conversation(conversationId), 'unreadCount');
  if (typeof count === 'number')
    cache.writeFragment(UnreadFields, { __typename: 'Conversation', id: conversationId, unreadCount: count + 1 });
}

/** Every course's conversation list is read again (a conversation appeared that none of them holds). */
export const invalidateConversationLists = (cache: Cache) => invalidateField(cache, 'Query', 'conversations');

/** The course whose `field` list holds `entity`, from any course view in the cache (sessions and assessments do not link back). */
function courseHolding(cache: Cache, field: 'sessions' | 'assessments', entity: Key): string | null {
  for (const f of cache.inspectFields('Query')) {
    if (f.fieldName !== 'course') continue;
    const cKey = cache.resolve('Query', 'course', f.arguments ?? undefined);
    const list = typeof cKey === 'string' ? cache.resolve(cKey, field) : null;
    if (Array.isArray(list) && list.includes(entity)) return String(f.arguments?.id);
  }
  return null;
}
const courseOfSession = (cache: Cache, sessionId: string) =>
  courseHolding(cache, 'sessions', `ClassSession:${sessionId}`);

/** A write the server has not named yet shows under this id until its answer replaces it. */
export const PENDING_ID_PREFIX = 'pending:';
export const isPendingId = (id: string) => id.startsWith(PENDING_ID_PREFIX);

/** The session's records in the cache, by student id. */
function recordsOf(cache: Cache, sessionId: string): Map<string, Key> {
  const list = cache.resolve(`ClassSession:${sessionId}`, 'records');
  const byStudent = new Map<string, Key>();
  if (Array.isArray(list))
    for (const k of list as Key[]) byStudent.set(String(cache.resolve(String(cache.resolve(k, 'student')), 'id')), k);
  return byStudent;
}

/** A record as the sheet shows it; a new one gets a placeholder id until the server names it. */
const pendingRecord = (sessionId: string, studentId: string, status: AttendanceStatus, id?: string) => ({
  __typename: 'AttendanceRecord' as const,
  id: id ?? `${PENDING_ID_PREFIX}${sessionId}:${studentId}`,
  status,
  updatedAt: new Date().toISOString(),
  student: { __typename: 'User' as const, id: studentId },
  session: { __typename: 'ClassSession' as const, id: sessionId },
});

/**
 * An updater for the result of `document`: graphcache hands updaters the field's parent data and
 * arguments untyped; here they are what the document selects and the variables it takes (every
 * document passes each variable to the argument of the same name).
 */
export const updater = <Result extends DataFields, Args extends Variables>(
  _document: TadaDocumentNode<Result, Args, unknown>,
  update: UpdateResolver<Result, Args>,
): UpdateResolver => update;

export const mutationUpdates: NonNullable<UpdatesConfig['Mutation']> = {
  recordGrade: updater(RecordGradeMutation, ({ recordGrade: g }, _args, cache, info) => {
    addToList(cache, `Assessment:${g.assessment.id}`, 'grades', g);
    // The derived standing changed on the server: drop it so every view of it refetches (the
    // grade's live event brings it too). Not for the optimistic guess: offline, no refetch could
    // answer, and the schema-aware cache would blank the sheet (a non-null list missing an item).
    if (!info.optimistic) cache.invalidate({ __typename: 'Standing', id: `${g.assessment.course.id}:${g.student.id}` });
  }),
  deleteGrade: updater(DeleteGradeMutation, ({ deleteGrade: g }, _args, cache) => {
    const aKey = `Assessment:${g.assessment.id}`;
    removeFromList(cache, aKey, 'grades', `Grade:${g.id}`);
    if (cache.resolve(aKey, 'myGrade') === `Grade:${g.id}`) cache.link(aKey, 'myGrade', null);
    cache.invalidate({ __typename: 'Grade', id: g.id });
    cache.invalidate({ __typename: 'Standing', id: `${g.assessment.course.id}:${g.student.id}` });
  }),
  // The student's totals are not invalidated here: each record's attendanceChanged event carries
  // them (live or polled). Invalidating would, with the schema-aware cache, blank the whole sheet
  // (a missing item of the non-null attendanceTotals list nulls the course) until a refetch that
  // may not come while offline.
  recordAttendance: updater(RecordAttendanceMutation, ({ recordAttendance: r }, _args, cache) => {
    addToList(cache, `ClassSession:${r.session.id}`, 'records', r);
  }),
  createAssessment: updater(CreateAssessmentMutation, (result, args, cache) => {
    addToList(cache, course(args.courseId), 'assessments', result.createAssessment);
    // Every student's standing now has one more assessment in its total.
    invalidateField(cache, course(args.courseId), 'standings');
    invalidateField(cache, course(args.courseId), 'myStanding');
  }),
  createClassSession: updater(CreateSessionMutation, (result, args, cache) => {
    const cKey = course(args.courseId);
    const list = cache.resolve(cKey, 'sessions');
    const newKey = cache.keyOfEntity(result.createClassSession);
    if (!Array.isArray(list) || !newKey || (list as Key[]).includes(newKey)) return;
    const startsAt = (k: Key) => String(cache.resolve(k, 'startsAt') ?? '');
    cache.link(
      cKey,
      'sessions',
      [...(list as Key[]), newKey].sort((a, b) => Date.parse(startsAt(a)) - Date.parse(startsAt(b))),
    );
    invalidateField(cache, cKey, 'attendanceTotals');
    invalidateField(cache, cKey, 'myAttendanceTotals');
  }),
  openPoll: updater(OpenPollMutation, (result, args, cache) => {
    addToList(cache, course(args.courseId), 'polls', result.openPoll, 'start');
  }),
  createPost: updater(CreatePostMutation, ({ createPost: post }, args, cache) => {
    // Page one of the feed is the list a new post joins (later pages hang off cursors).
    cache.updateQuery({ query: FeedQuery, variables: { id: args.courseId, first: FEED_PAGE_SIZE } }, (data) => {
      const posts = data?.course?.posts;
      if (!posts || posts.edges.some((e) => e.node.id === post.id)) return data;
      posts.edges.unshift({ __typename: 'PostEdge', cursor: `new:${post.id}`, node: post });
      posts.totalCount += 1;
      return data;
    });
  }),
  createComment: updater(CreateCommentMutation, ({ createComment: c }, _args, cache) => {
    addToList(cache, `Post:${c.post.id}`, 'comments', c);
  }),
  sendMessage: updater(SendMessageMutation, ({ sendMessage: m }, _args, cache) => {
    addMessage(cache, m.conversationId, m);
  }),
  deleteMessage: updater(DeleteMessageMutation, ({ deleteMessage: m }, _args, cache) => {
    removeMessage(cache, m.conversationId, m.id);
  }),
  startDirectConversation: updater(StartDirectConversationMutation, (result, args, cache) => {
    const key = cache.keyOfEntity(result.startDirectConversation);
    const list = cache.resolve('Query', 'conversations', { courseId: args.courseId });
    if (key && Array.isArray(list) && !(list as Key[]).includes(key))
      cache.link('Query', 'conversations', { courseId: args.courseId }, [...(list as Key[]), key]);
  }),
  markNotificationRead(_result, _args, cache) {
    // unreadCount lives on the (embedded) connection: refetch it rather than guess.
    invalidateField(cache, 'Query', 'notifications');
  },
  markAllNotificationsRead(_result, _args, cache) {
    invalidateField(cache, 'Query', 'notifications');
  },
  createCourse: updater(CreateCourseMutation, (result, _args, cache) => {
    addToList(cache, 'Query', 'courses', result.createCourse);
  }),
  createUser: updater(CreateUserMutation, ({ createUser: user }, _args, cache) => {
    const key = cache.keyOfEntity(user);
    for (const f of cache.inspectFields('Query')) {
      if (f.fieldName !== 'users') continue;
      const role = f.arguments?.role;
      if (role && role !== user.role) continue;
      const list = cache.resolve('Query', 'users', f.arguments ?? undefined);
      if (Array.isArray(list) && key && !(list as Key[]).includes(key))
        cache.link('Query', 'users', f.arguments ?? null, [...(list as Key[]), key]);
    }
  }),
  // Removals show at once for whoever made them; everyone else (and the standings a change moved)
  // follows from the courseChanged and contentAvailable events.
  deleteAssessment: updater(DeleteAssessmentMutation, ({ deleteAssessment: a }, _args, cache) => {
    removeFromList(cache, course(a.course.id), 'assessments', `Assessment:${a.id}`);
  }),
  unenrolStudent: updater(UnenrolStudentMutation, (_result, args, cache) => {
    removeFromList(cache, course(args.courseId), 'students', `User:${args.studentId}`);
  }),
  deletePost: updater(DeletePostMutation, ({ deletePost: post }, _args, cache) => {
    for (const f of cache.inspectFields('Query')) {
      if (f.fieldName !== 'course' || !f.arguments?.id) continue;
      cache.updateQuery(
        { query: FeedQuery, variables: { id: String(f.arguments.id), first: FEED_PAGE_SIZE } },
        (data) => {
          const posts = data?.course?.posts;
          if (!posts?.edges.some((e) => e.node.id === post.id)) return data;
          posts.edges = posts.edges.filter((e) => e.node.id !== post.id);
          posts.totalCount -= 1;
          return data;
        },
      );
    }
  }),
  deleteComment: updater(DeleteCommentMutation, ({ deleteComment: c }, _args, cache) => {
    removeFromList(cache, `Post:${c.post.id}`, 'comments', `Comment:${c.id}`);
  }),
};

/**
 * What a write shows before the server answers — at once online, and for as long as it waits
 * offline: graphcache's offline queue keeps only writes that have an entry here. The server's
 * answer replaces the guess (or, refused, removes it).
 */
export const optimistic: OptimisticMutationConfig = {
  recordAttendance(args: VariablesOf<typeof RecordAttendanceMutation>, cache) {
    const { sessionId, studentId, status } = args;
    const courseId = courseOfSession(cache, sessionId);
    if (!courseId) return null;
    const existing = recordsOf(cache, sessionId).get(studentId);
    const record = pendingRecord(sessionId, studentId, status, existing && String(cache.resolve(existing, 'id')));
    return { ...record, session: { ...record.session, course: { __typename: 'Course', id: courseId } } };
  },
  markAllPresent(args: VariablesOf<typeof MarkAllPresentMutation>, cache) {
    const { sessionId } = args;
    const courseId = courseOfSession(cache, sessionId);
    const students = courseId ? cache.resolve(course(courseId), 'students') : null;
    if (!Array.isArray(students)) return null;
    const recorded = recordsOf(cache, sessionId);
    const records = (students as Key[]).map((sKey) => {
      const studentId = String(cache.resolve(sKey, 'id'));
      const existing = recorded.get(studentId);
      return (
        (existing &&
          cache.readFragment(RecordFields, {
            __typename: 'AttendanceRecord',
            id: cache.resolve(existing, 'id') as string,
          })) ??
        pendingRecord(sessionId, studentId, 'PRESENT')
      );
    });
    return { __typename: 'ClassSession', id: sessionId, records };
  },
  recordGrade(args: VariablesOf<typeof RecordGradeMutation>, cache) {
    const { assessmentId, studentId, score, note } = args;
    const assessment = `Assessment:${assessmentId}`;
    const courseId = courseHolding(cache, 'assessments', assessment);
    if (!courseId) return null;
    const grades = cache.resolve(assessment, 'grades');
    const existing = Array.isArray(grades)
      ? (grades as Key[]).find((k) => cache.resolve(String(cache.resolve(k, 'student')), 'id') === studentId)
      : undefined;
    return {
      __typename: 'Grade',
      id: existing ? String(cache.resolve(existing, 'id')) : `${PENDING_ID_PREFIX}${assessmentId}:${studentId}`,
      score,
      note: note ?? null,
      updatedAt: new Date().toISOString(),
      student: { __typename: 'User', id: studentId },
      assessment: { __typename: 'Assessment', id: assessmentId, course: { __typename: 'Course', id: courseId } },
    };
  },
  createPost(args: VariablesOf<typeof CreatePostMutation>) {
    const author = getSession()?.user;
    if (!author) return null;
    return {
      __typename: 'Post',
      id: `${PENDING_ID_PREFIX}${crypto.randomUUID()}`,
      body: args.body,
      announcement: args.announcement ?? false,
      createdAt: new Date().toISOString(),
      commentCount: 0,
      author: { __typename: 'User', id: author.id, name: author.name, role: author.role },
      comments: [],
    };
  },
  createComment(args: VariablesOf<typeof CreateCommentMutation>, cache) {
    const author = getSession()?.user;
    const count = cache.resolve(`Post:${args.postId}`, 'commentCount');
    if (!author || typeof count !== 'number') return null;
    return {
      __typename: 'Comment',
      id: `${PENDING_ID_PREFIX}${crypto.randomUUID()}`,
      body: args.body,
      createdAt: new Date().toISOString(),
      author: { __typename: 'User', id: author.id, name: author.name },
      post: { __typename: 'Post', id: args.postId, commentCount: count + 1 },
    };
  },
  // A message written offline shows at once, waits in the queue and is sent once when the
  // connection is back: the server keeps one message per sender and clientMessageId.
  sendMessage(args: VariablesOf<typeof SendMessageMutation>) {
    const author = getSession()?.user;
    if (!author) return null;
    return {
      __typename: 'Message',
      id: `${PENDING_ID_PREFIX}${args.clientMessageId}`,
      body: args.body,
      clientMessageId: args.clientMessageId,
      conversationId: args.conversationId,
      createdAt: new Date().toISOString(),
      editedAt: null,
      author: { __typename: 'User', id: author.id, name: author.name },
    };
  },
  castVote(args: VariablesOf<typeof CastVoteMutation>, cache) {
    const { pollId, optionId } = args;
    const poll = cache.readFragment(PollFields, { __typename: 'Poll', id: pollId });
    if (!poll) return null;
    if (poll.myVote === optionId) return { ...poll, __typename: 'Poll' };
    const options = poll.options.map((o) => ({
      ...o,
      __typename: 'PollOption',
      votes: o.votes + (o.id === optionId ? 1 : 0) - (o.id === poll.myVote ? 1 : 0),
    }));
    const totalVotes = poll.totalVotes + (poll.myVote ? 0 : 1);
    return { ...poll, __typename: 'Poll', myVote: optionId, options, totalVotes };
  },
};
