// graphcache configuration: how entities are keyed, how mutation results update lists, and the
// optimistic ballot. Entities (Grade, Poll, Standing, …) update themselves when a result carries
// them; only lists, links and derived values need code here. Live (subscription) updaters are in
// ./live/updaters.ts.
import type { Cache, Data, KeyingConfig, OptimisticMutationConfig, UpdatesConfig } from '@urql/exchange-graphcache';
import { FEED_PAGE_SIZE, FeedQuery, PollFields } from './documents';
import type { Poll } from './types';

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
  // Live events (./live/documents.ts) carry entities but are not entities themselves.
  GradeEvent: embedded,
  AttendanceEvent: embedded,
  PollEvent: embedded,
  ContentAvailableEvent: embedded,
  NotificationEvent: embedded,
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

const course = (id: string | undefined | null) => (id ? `Course:${id}` : null);
const idOf = (d: unknown): string | undefined => (d as { id?: string } | null)?.id;

export const mutationUpdates: NonNullable<UpdatesConfig['Mutation']> = {
  recordGrade(result, _args, cache) {
    const g = result.recordGrade as {
      id: string;
      student: { id: string };
      assessment: { id: string; course: { id: string } };
    } | null;
    if (!g) return;
    addToList(cache, `Assessment:${g.assessment.id}`, 'grades', result.recordGrade as Data);
    // The derived standing changed on the server: drop it so every view of it refetches.
    cache.invalidate({ __typename: 'Standing', id: `${g.assessment.course.id}:${g.student.id}` });
  },
  deleteGrade(result, _args, cache) {
    const g = result.deleteGrade as {
      id: string;
      student: { id: string };
      assessment: { id: string; course: { id: string } };
    } | null;
    if (!g) return;
    const aKey = `Assessment:${g.assessment.id}`;
    const list = cache.resolve(aKey, 'grades');
    if (Array.isArray(list))
      cache.link(
        aKey,
        'grades',
        (list as Key[]).filter((k) => k !== `Grade:${g.id}`),
      );
    if (cache.resolve(aKey, 'myGrade') === `Grade:${g.id}`) cache.link(aKey, 'myGrade', null);
    cache.invalidate({ __typename: 'Grade', id: g.id });
    cache.invalidate({ __typename: 'Standing', id: `${g.assessment.course.id}:${g.student.id}` });
  },
  recordAttendance(result, _args, cache) {
    const r = result.recordAttendance as {
      student: { id: string };
      session: { id: string; course: { id: string } };
    } | null;
    if (!r) return;
    addToList(cache, `ClassSession:${r.session.id}`, 'records', result.recordAttendance as Data);
    cache.invalidate({ __typename: 'AttendanceTotals', id: `${r.session.course.id}:${r.student.id}` });
  },
  createAssessment(result, args, cache) {
    addToList(cache, course(args.courseId as string), 'assessments', result.createAssessment as Data);
    // Every student's standing now has one more assessment in its total.
    invalidateField(cache, `Course:${args.courseId}`, 'standings');
    invalidateField(cache, `Course:${args.courseId}`, 'myStanding');
  },
  createClassSession(result, args, cache) {
    const cKey = course(args.courseId as string);
    const created = result.createClassSession as Data | null;
    const list = cKey ? cache.resolve(cKey, 'sessions') : null;
    const newKey = created ? cache.keyOfEntity(created) : null;
    if (!cKey || !Array.isArray(list) || !newKey || (list as Key[]).includes(newKey)) return;
    const startsAt = (k: Key) => String(cache.resolve(k, 'startsAt') ?? '');
    cache.link(
      cKey,
      'sessions',
      [...(list as Key[]), newKey].sort((a, b) => Date.parse(startsAt(a)) - Date.parse(startsAt(b))),
    );
    invalidateField(cache, cKey, 'attendanceTotals');
    invalidateField(cache, cKey, 'myAttendanceTotals');
  },
  openPoll(result, args, cache) {
    addToList(cache, course(args.courseId as string), 'polls', result.openPoll as Data, 'start');
  },
  createPost(result, args, cache) {
    const post = result.createPost as Data | null;
    if (!post) return;
    // Page one of the feed is the list a new post joins (later pages hang off cursors).
    cache.updateQuery(
      { query: FeedQuery, variables: { id: args.courseId as string, first: FEED_PAGE_SIZE } },
      (data) => {
        const posts = data?.course?.posts;
        if (!posts || posts.edges.some((e) => e.node.id === idOf(post))) return data;
        posts.edges.unshift({ __typename: 'PostEdge', cursor: `new:${idOf(post)}`, node: post } as never);
        posts.totalCount += 1;
        return data;
      },
    );
  },
  createComment(result, _args, cache) {
    const c = result.createComment as { post: { id: string } } | null;
    if (c) addToList(cache, `Post:${c.post.id}`, 'comments', result.createComment as Data);
  },
  markNotificationRead(_result, _args, cache) {
    // unreadCount lives on the (embedded) connection: refetch it rather than guess.
    invalidateField(cache, 'Query', 'notifications');
  },
  markAllNotificationsRead(_result, _args, cache) {
    invalidateField(cache, 'Query', 'notifications');
  },
  createCourse(result, _args, cache) {
    addToList(cache, 'Query', 'courses', result.createCourse as Data);
  },
  createUser(result, _args, cache) {
    const user = result.createUser as { role: string } | null;
    if (!user) return;
    for (const f of cache.inspectFields('Query')) {
      if (f.fieldName !== 'users') continue;
      const role = (f.arguments as { role?: string } | null)?.role;
      if (role && role !== user.role) continue;
      const list = cache.resolve('Query', 'users', f.arguments ?? undefined);
      const key = cache.keyOfEntity(result.createUser as Data);
      if (Array.isArray(list) && key && !(list as Key[]).includes(key))
        cache.link('Query', 'users', f.arguments ?? null, [...(list as Key[]), key]);
    }
  },
  enrolStudent(_result, args, cache) {
    const cKey = `Course:${args.courseId}`;
    for (const field of ['students', 'standings', 'attendanceTotals']) invalidateField(cache, cKey, field);
  },
};

/** Voting shows the ballot at once; the server's Poll replaces this guess when it answers. */
export const optimistic: OptimisticMutationConfig = {
  castVote(args, cache) {
    const pollId = args.pollId as string;
    const optionId = args.optionId as string;
    const poll = cache.readFragment(PollFields, { id: pollId }) as Poll | null;
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
