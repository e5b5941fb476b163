'use client';
import Link from 'next/link';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { Notification } from '../lib/documents';
import {
  MarkAllNotificationsReadMutation,
  MarkNotificationReadMutation,
  NOTIFICATIONS_PAGE_SIZE,
  NotificationsQuery,
} from '../lib/documents';
import { Empty, ErrorNote, formatDateTime, Loading } from './status';

/** Typed by the schema's NotificationKind: a kind added there fails the type-check until it has a label. */
export const kindLabel: Record<Notification['kind'], string> = {
  GRADE_RECORDED: 'Grade',
  POLL_OPENED: 'Poll',
  ANNOUNCEMENT: 'Announcement',
  ASSESSMENT_ADDED: 'Assessment',
  SESSION_CHANGED: 'Class',
  ENROLLED: 'Enrolment',
  DIRECT_MESSAGE: 'Message',
};

function NotificationItem({ n }: { n: Notification }) {
  const [{ fetching, error }, markRead] = useMutation(MarkNotificationReadMutation);
  return (
    <li className={`card notification${n.read ? ' is-read' : ' is-unread'}`} data-testid="notification">
      <div className="notification-main">
        <span className="pill">{kindLabel[n.kind] ?? n.kind}</span>
        {!n.read && <span className="visually-hidden">Unread: </span>}
        {n.link ? (
          <Link href={n.link} onClick={() => !n.read && markRead({ id: n.id })}>
            {n.message}
          </Link>
        ) : (
          <span>{n.message}</span>
        )}
        <time className="muted small" dateTime={n.createdAt}>
          {formatDateTime(n.createdAt)}
        </time>
      </div>
      {!n.read && (
        <button
          type="button"
          className="btn btn-small"
          disabled={fetching}
          onClick={() => markRead({ id: n.id })}
          aria-label={`Mark “${n.message}” as read`}
        >
          Mark read
        </button>
      )}
      {error && <ErrorNote error={error} />}
    </li>
  );
}

function NotificationsPage({
  after,
  isLast,
  onLoadMore,
}: {
  after?: string;
  isLast: boolean;
  onLoadMore: (c: string) => void;
}) {
  const variables = after ? { first: NOTIFICATIONS_PAGE_SIZE, after } : { first: NOTIFICATIONS_PAGE_SIZE };
  const [{ data, error, fetching }, refetch] = useQuery({ query: NotificationsQuery, variables });
  if (fetching && !data) return <Loading label="Loading notifications…" />;
  if (!data) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const { edges, pageInfo } = data.notifications;
  return (
    <>
      {!after && edges.length === 0 && (
        <Empty>Nothing yet. You will hear about new grades, polls and announcements here.</Empty>
      )}
      {edges.length > 0 && (
        <ul className="stack notification-list">
          {edges.map((e) => (
            <NotificationItem key={e.node.id} n={e.node} />
          ))}
        </ul>
      )}
      {isLast && pageInfo.hasNextPage && pageInfo.endCursor && (
        <button type="button" className="btn" onClick={() => onLoadMore(pageInfo.endCursor!)}>
          Load older notifications
        </button>
      )}
    </>
  );
}

export function NotificationsView() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [{ data }] = useQuery({ query: NotificationsQuery, variables: { first: NOTIFICATIONS_PAGE_SIZE } });
  const [markAll, markAllRead] = useMutation(MarkAllNotificationsReadMutation);
  const unread = data?.notifications.unreadCount ?? 0;
  return (
    <div className="stack">
      <div className="row-between">
        <h1>Notifications</h1>
        <button
          type="button"
          className="btn"
          disabled={unread === 0 || markAll.fetching}
          onClick={() => markAllRead({})}
        >
          Mark all as read
        </button>
      </div>
      <p className="muted" aria-live="polite">
        {unread === 0 ? 'All caught up.' : `${unread} unread`}
      </p>
      {markAll.error && <ErrorNote error={markAll.error} />}
      {cursors.map((after, i) => (
        <NotificationsPage
          key={after ?? 'first'}
          after={after}
          isLast={i === cursors.length - 1}
          onLoadMore={(c) => setCursors((cs) => (cs.includes(c) ? cs : [...cs, c]))}
        />
      ))}
    </div>
  );
}
