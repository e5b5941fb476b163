// graphcache updaters for live events (pushed or polled: same shapes, same code). Entities in an
// event (Grade, Standing, AttendanceRecord, AttendanceTotals, Poll with its options, Notification)
// are written by graphcache itself, so scores, standings, totals and tallies change in place;
// these updaters only add rows to lists, remove deleted rows and keep the unread count.
// Each one is idempotent: applying the same event twice changes nothing the second time.

import type { Cache, Data, UpdatesConfig } from '@urql/exchange-graphcache';
import { addToList, removeFromList, updater } from '../cache';
import { NOTIFICATIONS_PAGE_SIZE, NotificationsQuery } from '../documents';
import {
  AttendanceChangedSubscription,
  type AttendanceEvent,
  GradeChangedSubscription,
  type GradeEvent,
  type NotificationEvent,
  NotificationReceivedSubscription,
  PollChangedSubscription,
  type PollEvent,
} from './documents';

/** Links entity.field to `item` when that field is loaded (undefined: no view asked for it). */
function linkIfLoaded(cache: Cache, entity: string, field: string, item: Data | null) {
  if (cache.resolve(entity, field) !== undefined) cache.link(entity, field, item);
}

export function applyGrade(e: GradeEvent, cache: Cache, viewerId: string | undefined) {
  const g = e.grade;
  if (e.action === 'RESYNC' || !g) return;
  const assessment = `Assessment:${g.assessment.id}`;
  const gradeKey = `Grade:${g.id}`;
  if (e.action === 'DELETED') {
    removeFromList(cache, assessment, 'grades', gradeKey);
    if (cache.resolve(assessment, 'myGrade') === gradeKey) cache.link(assessment, 'myGrade', null);
    cache.invalidate(gradeKey);
  } else {
    addToList(cache, assessment, 'grades', g);
    if (g.student.id === viewerId) linkIfLoaded(cache, assessment, 'myGrade', g);
  }
  if (e.standing) {
    const course = `Course:${g.assessment.course.id}`;
    addToList(cache, course, 'standings', e.standing);
    if (e.standing.student.id === viewerId) linkIfLoaded(cache, course, 'myStanding', e.standing);
  }
}

export function applyAttendance(e: AttendanceEvent, cache: Cache, viewerId: string | undefined) {
  const r = e.record;
  if (e.action === 'RESYNC' || !r) return;
  const session = `ClassSession:${r.session.id}`;
  const recordKey = `AttendanceRecord:${r.id}`;
  if (e.action === 'DELETED') {
    removeFromList(cache, session, 'records', recordKey);
    if (cache.resolve(session, 'myRecord') === recordKey) cache.link(session, 'myRecord', null);
    cache.invalidate(recordKey);
  } else {
    addToList(cache, session, 'records', r);
    if (r.student.id === viewerId) linkIfLoaded(cache, session, 'myRecord', r);
  }
  if (e.totals) {
    const course = `Course:${r.session.course.id}`;
    addToList(cache, course, 'attendanceTotals', e.totals);
    if (e.totals.student.id === viewerId) linkIfLoaded(cache, course, 'myAttendanceTotals', e.totals);
  }
}

export function applyPoll(e: PollEvent, cache: Cache) {
  const p = e.poll;
  if (e.action === 'RESYNC' || !p) return;
  const course = `Course:${p.course.id}`;
  const pollKey = `Poll:${p.id}`;
  if (e.action === 'DELETED') {
    removeFromList(cache, course, 'polls', pollKey);
    cache.invalidate(pollKey);
    return;
  }
  // A poll we have not seen (opened, or its opening missed): it joins the list, newest first.
  const list = cache.resolve(course, 'polls');
  if (!Array.isArray(list) || (list as string[]).includes(pollKey)) return;
  const createdAt = (k: string) => Date.parse(String(cache.resolve(k, 'createdAt') ?? ''));
  cache.link(
    course,
    'polls',
    [...(list as string[]), pollKey].sort((a, b) => createdAt(b) - createdAt(a)),
  );
}

/** Adds `delta` to the unread count the cache holds (the bell's and the notifications page's). */
function adjustUnread(cache: Cache, delta: number) {
  cache.updateQuery({ query: NotificationsQuery, variables: { first: NOTIFICATIONS_PAGE_SIZE } }, (data) => {
    if (data) data.notifications.unreadCount = Math.max(0, data.notifications.unreadCount + delta);
    return data;
  });
}

/**
 * Runs while graphcache writes a NotificationEvent, after `action` and before `notification`
 * (the fragment's field order): the cache still holds the notification's previous read state, so
 * the unread count moves by exactly what changed — nothing when the same event comes twice.
 */
export function countUnread(e: NotificationEvent, cache: Cache) {
  const n = e.notification;
  if (!n || e.action === 'RESYNC') return;
  const before = cache.resolve(`Notification:${n.id}`, 'read');
  const isUnread = e.action !== 'DELETED' && !n.read;
  if (before === undefined || before === null) {
    // Unknown until now: a new one counts if unread; a change to one we never saw cannot be
    // placed, so the count is read again.
    if (e.action === 'CREATED') {
      if (isUnread) adjustUnread(cache, 1);
    } else {
      const connection = cache.resolve('Query', 'notifications', { first: NOTIFICATIONS_PAGE_SIZE });
      if (typeof connection === 'string') cache.invalidate(connection, 'unreadCount');
    }
    return;
  }
  const delta = (isUnread ? 1 : 0) - (before === false ? 1 : 0);
  if (delta) adjustUnread(cache, delta);
}

export function applyNotification(e: NotificationEvent, cache: Cache) {
  const n = e.notification;
  if (e.action === 'RESYNC' || !n) return;
  cache.updateQuery({ query: NotificationsQuery, variables: { first: NOTIFICATIONS_PAGE_SIZE } }, (data) => {
    if (!data) return data;
    const edges = data.notifications.edges;
    const at = edges.findIndex((edge) => edge.node.id === n.id);
    if (e.action === 'DELETED') {
      if (at >= 0) edges.splice(at, 1);
    } else if (at < 0) {
      edges.unshift({ __typename: 'NotificationEdge', cursor: `live:${n.id}`, node: n });
    }
    return data;
  });
  if (e.action === 'DELETED') cache.invalidate(`Notification:${n.id}`);
}

/** The updaters, for graphcache's `updates` option (viewerId: whose "my…" fields to link). */
export function liveUpdates(viewerId: string | undefined): UpdatesConfig {
  return {
    Subscription: {
      gradeChanged: updater(GradeChangedSubscription, (r, _args, cache) => applyGrade(r.gradeChanged, cache, viewerId)),
      attendanceChanged: updater(AttendanceChangedSubscription, (r, _args, cache) =>
        applyAttendance(r.attendanceChanged, cache, viewerId),
      ),
      pollChanged: updater(PollChangedSubscription, (r, _args, cache) => applyPoll(r.pollChanged, cache)),
      notificationReceived: updater(NotificationReceivedSubscription, (r, _args, cache) =>
        applyNotification(r.notificationReceived, cache),
      ),
      // contentAvailable is a signal, not content: the feed shows a banner (see feed-tab.tsx).
    },
    NotificationEvent: { action: (parent: NotificationEvent, _args, cache) => countUnread(parent, cache) },
  };
}
