'use client';
// The course's chat: its channel and the viewer's direct conversations (a student with the staff,
// staff with anyone; never two students — the server refuses it too), with unread counts that the
// messageChanged topic keeps current (lib/live/topics/messages.ts).
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ChatQuery, type Conversation, StartDirectConversationMutation } from '../../lib/documents';
import { useSession } from '../../lib/session';
import { ErrorNote, Loading } from '../status';
import { ConversationView } from './conversation-view';

export function conversationTitle(c: Conversation, viewerId: string): string {
  if (c.kind === 'CHANNEL') return 'Course channel';
  const others = c.participants.filter((p) => p.id !== viewerId);
  return others.map((p) => p.name).join(', ') || 'Direct conversation';
}

export function ChatTab({
  courseId,
  manage,
  open,
  onOpen,
}: {
  courseId: string;
  manage: boolean;
  /** The conversation shown (the course page tells presence, so it does not notify about it). */
  open: string | null;
  onOpen: (conversationId: string) => void;
}) {
  const session = useSession();
  const viewerId = session?.user.id ?? '';
  const [{ data, error, fetching }] = useQuery({ query: ChatQuery, variables: { courseId, staff: manage } });
  const conversations = data?.conversations ?? [];
  const current = conversations.find((c) => c.id === open) ?? conversations[0];
  if (fetching && !data) return <Loading label="Loading chat…" />;
  if (!data) return <ErrorNote error={error} />;
  return (
    <div className="chat">
      <nav className="chat-list" aria-label="Conversations">
        <ul>
          {conversations.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                className="chat-list-item"
                aria-current={c.id === current?.id ? 'true' : undefined}
                onClick={() => onOpen(c.id)}
                data-testid="conversation"
              >
                <span>{conversationTitle(c, viewerId)}</span>
                {c.unreadCount > 0 && (
                  <span className="badge" data-testid="unread">
                    {c.unreadCount}
                    <span className="visually-hidden"> unread</span>
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
        <StartConversation
          courseId={courseId}
          viewerId={viewerId}
          people={manage ? [...data.course!.instructors, ...(data.course?.students ?? [])] : data.course!.instructors}
          label={manage ? 'Message someone' : 'Message the teacher'}
          onStarted={onOpen}
        />
      </nav>
      {current ? (
        <ConversationView
          key={current.id}
          conversation={current}
          title={conversationTitle(current, viewerId)}
          viewerId={viewerId}
          manage={manage}
        />
      ) : (
        <p className="muted">No conversation yet.</p>
      )}
    </div>
  );
}

function StartConversation({
  courseId,
  viewerId,
  people,
  label,
  onStarted,
}: {
  courseId: string;
  viewerId: string;
  people: { id: string; name: string }[];
  label: string;
  onStarted: (conversationId: string) => void;
}) {
  const [userId, setUserId] = useState('');
  const [{ fetching, error }, start] = useMutation(StartDirectConversationMutation);
  const choices = people.filter((p) => p.id !== viewerId);
  if (choices.length === 0) return null;
  async function go(id: string) {
    const r = await start({ courseId, userId: id });
    if (r.data) {
      setUserId('');
      onStarted(r.data.startDirectConversation.id);
    }
  }
  return (
    <div className="chat-start">
      <label className="field">
        <span>{label}</span>
        <select
          value={userId}
          disabled={fetching}
          onChange={(e) => {
            setUserId(e.target.value);
            if (e.target.value) void go(e.target.value);
          }}
        >
          <option value="">Choose…</option>
          {choices.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      {error && <ErrorNote error={error} />}
    </div>
  );
}
