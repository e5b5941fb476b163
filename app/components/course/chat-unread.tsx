'use client';
// Unread chat messages in a course, over the viewer's conversations there: the Chat tab's badge
// and the dashboard's. Kept current by messageChanged (each Conversation's unreadCount).
import Link from 'next/link';
import { useQuery } from 'urql';
import { ChatUnreadQuery } from '../../lib/documents';

export function useChatUnread(courseId: string, pause = false): number {
  const [{ data }] = useQuery({ query: ChatUnreadQuery, variables: { courseId }, pause });
  return (data?.conversations ?? []).reduce((n, c) => n + c.unreadCount, 0);
}

/** The count in a badge, nothing when there is none. */
export function UnreadBadge({ count, testId }: { count: number; testId: string }) {
  if (count <= 0) return null;
  return (
    <span className="badge" data-testid={testId}>
      {count}
      <span className="visually-hidden"> unread</span>
    </span>
  );
}

/** A dashboard card's way into the course's chat, when something there is unread. */
export function ChatUnreadLink({ courseId }: { courseId: string }) {
  const count = useChatUnread(courseId);
  if (count <= 0) return null;
  return (
    <Link href={`/courses/${courseId}?tab=chat`} className="chat-unread-link small" data-testid="dashboard-chat-unread">
      {count === 1 ? '1 unread message' : `${count} unread messages`}
    </Link>
  );
}
