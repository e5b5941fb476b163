// notificationReceived: the viewer's own notifications (created, read or unread elsewhere, deleted).
import type { Cache } from '@urql/exchange-graphcache';
import { NOTIFICATIONS_PAGE_SIZE, NotificationFields, NotificationsQuery } from '../../documents';
import { graphql, type ResultOf } from '../../graphql';
import { defineTopic } from '../topic';

// `action` comes before `notification` on purpose: the `action` field updater below reads the
// notification's previous read state from the cache before graphcache writes the new one.
export const NotificationEventFields = graphql(
  `fragment NotificationEventFields on NotificationEvent {
    __typename cursor action occurredAt
    notification { ...NotificationFields }
  }`,
  [NotificationFields],
);
export type NotificationEvent = ResultOf<typeof NotificationEventFields>;

/** Adds `delta` to the unread count the cache holds (the bell's and the notifications page's). */
function adjustUnread(cache: Cache, delta: number) {
  cache.updateQuery({ query: NotificationsQuery, variables: { first: NOTIFICATIONS_PAGE_SIZE } }, (data) => {
    if (data) data.notifications.unreadCount = Math.max(0, data.notifications.unreadCount + delta);
    return data;
  });
}

export const notifications = defineTopic({
  field: 'notificationReceived',
  fragment: NotificationEventFields,
  document: graphql(
    `subscription NotificationReceived($after: String) {
      notificationReceived(after: $after) { ...NotificationEventFields }
    }`,
    [NotificationEventFields],
  ),
  update(e, cache) {
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
  },
  eventFieldUpdates: {
    /**
     * Runs after `action` is written and before `notification` (the fragment's field order): the
     * cache still holds the notification's previous read state, so the unread count moves by
     * exactly what changed — nothing when the same event comes twice.
     */
    action(e, cache) {
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
    },
  },
});
