'use client';
// One conversation: its latest messages (live through messageChanged) and older ones on request,
// the viewer's own to edit or delete (instructors also delete in the channel, admins anywhere — the
// server decides, the buttons only follow its rules), "… is typing", and the box to write in.
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { isPendingId } from '../../lib/cache';
import {
  type Conversation,
  ConversationMessagesQuery,
  DeleteMessageMutation,
  EarlierMessagesQuery,
  EditMessageMutation,
  MarkConversationReadMutation,
  MESSAGES_PAGE_SIZE,
  type Message,
  SendMessageMutation,
  SetTypingMutation,
  TypingChangedSubscription,
} from '../../lib/documents';
import { useEphemeral, useLiveState } from '../../lib/live/react';
import { useSession } from '../../lib/session';
import { ErrorNote, formatDateTime, Loading } from '../status';

/** The server's limit (server/schema/chat.ts). */
const MAX_LENGTH = 4000;
/** At most one "typing" signal per this long; the server shows it for 5 s. */
const TYPING_SIGNAL_MS = 2000;
/** A typer shows at most this long after their last signal (the server's 5 s, and a margin for the trip). */
const TYPING_SHOWN_MS = 6000;

export function ConversationView({
  conversation,
  title,
  viewerId,
  manage,
}: {
  conversation: Conversation;
  title: string;
  viewerId: string;
  manage: boolean;
}) {
  const [{ data, error, fetching }] = useQuery({
    query: ConversationMessagesQuery,
    variables: { id: conversation.id, last: MESSAGES_PAGE_SIZE },
  });
  const messages = data?.conversation?.messages ?? [];
  const last = messages.at(-1)?.id;
  // A full first page may have older messages before it (remembered: a deletion shortens the page).
  const fullPage = useRef(false);
  if (messages.length >= MESSAGES_PAGE_SIZE) fullPage.current = true;
  const viewerIsAdmin = useSession()?.user.role === 'ADMIN';
  const renderMessage = (m: Message) => (
    <MessageItem
      message={m}
      mine={m.author.id === viewerId}
      mayDelete={m.author.id === viewerId || viewerIsAdmin || (manage && conversation.kind === 'CHANNEL')}
    />
  );
  const [, markRead] = useMutation(MarkConversationReadMutation);
  // Reading the conversation: whatever arrives while it is open counts as read.
  useEffect(() => {
    if (last && conversation.unreadCount > 0) void markRead({ id: conversation.id });
  }, [conversation.id, conversation.unreadCount, last, markRead]);

  const end = useRef<HTMLLIElement | null>(null);
  useEffect(() => {
    if (last) end.current?.scrollIntoView?.({ block: 'nearest' });
  }, [last]);

  return (
    <section className="chat-conversation" aria-label="Messages">
      <h2 className="chat-title">{title}</h2>
      {fetching && !data ? (
        <Loading label="Loading messages…" />
      ) : (
        <ol className="chat-messages" data-testid="messages">
          {messages.length === 0 && <li className="muted">No messages yet. Say hello.</li>}
          {fullPage.current && messages.length > 0 && (
            <Earlier conversationId={conversation.id} before={messages[0].id} render={renderMessage} />
          )}
          {messages.map((m, i) => (
            <li key={m.id} ref={i === messages.length - 1 ? end : undefined}>
              {renderMessage(m)}
            </li>
          ))}
        </ol>
      )}
      {error && !data && <ErrorNote error={error} />}
      <Typing conversationId={conversation.id} />
      <Compose conversationId={conversation.id} />
    </section>
  );
}

/**
 * Older messages, a page at a time on request: a button until asked, then the page before
 * `before`, itself preceded by the same for the page before it while pages come back full.
 */
type EarlierProps = { conversationId: string; before: string; render: (m: Message) => ReactNode };

function Earlier({ conversationId, before, render }: EarlierProps) {
  const [asked, setAsked] = useState(false);
  if (!asked)
    return (
      <li className="chat-earlier">
        <button type="button" className="btn btn-small" onClick={() => setAsked(true)}>
          Load earlier messages
        </button>
      </li>
    );
  return <EarlierPage conversationId={conversationId} before={before} render={render} />;
}

function EarlierPage({ conversationId, before, render }: EarlierProps) {
  const [{ data, error, fetching }] = useQuery({
    query: EarlierMessagesQuery,
    variables: { id: conversationId, before, last: MESSAGES_PAGE_SIZE },
  });
  const page = data?.conversation?.messages;
  if (!page)
    return (
      <li className="chat-earlier">
        {fetching ? <Loading label="Loading earlier messages…" /> : <ErrorNote error={error} />}
      </li>
    );
  return (
    <>
      {page.length >= MESSAGES_PAGE_SIZE ? (
        <Earlier conversationId={conversationId} before={page[0].id} render={render} />
      ) : (
        <li className="chat-earlier muted small">The beginning of this conversation.</li>
      )}
      {page.map((m) => (
        <li key={m.id}>{render(m)}</li>
      ))}
    </>
  );
}

function MessageItem({ message, mine, mayDelete }: { message: Message; mine: boolean; mayDelete: boolean }) {
  const pending = isPendingId(message.id);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.body);
  const [edit, editMessage] = useMutation(EditMessageMutation);
  const [remove, deleteMessage] = useMutation(DeleteMessageMutation);
  async function save(e: FormEvent) {
    e.preventDefault();
    const r = await editMessage({ id: message.id, body: draft.trim() });
    if (r.data) setEditing(false);
  }
  return (
    <article className={`chat-message${mine ? ' is-mine' : ''}`} data-testid="message">
      <header className="small">
        <strong>{message.author.name}</strong>{' '}
        <time className="muted" dateTime={message.createdAt}>
          {formatDateTime(message.createdAt)}
        </time>
        {message.editedAt && <span className="muted"> · edited</span>}
        {pending && (
          <span className="pill pill-pending" data-testid="message-pending">
            Waiting to send
          </span>
        )}
      </header>
      {editing ? (
        <form className="chat-edit" onSubmit={save}>
          <input
            aria-label="Edit message"
            value={draft}
            maxLength={MAX_LENGTH}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit" className="btn btn-small" disabled={edit.fetching || !draft.trim()}>
            Save
          </button>
          <button type="button" className="btn btn-small" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <p className="chat-body" data-testid="message-body">
          {message.body}
        </p>
      )}
      {!editing && !pending && (mine || mayDelete) && (
        <div className="chat-actions">
          {mine && (
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                setDraft(message.body);
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
          {mayDelete && (
            <button
              type="button"
              className="btn btn-small"
              disabled={remove.fetching}
              onClick={() => void deleteMessage({ id: message.id })}
            >
              Delete
            </button>
          )}
        </div>
      )}
      <ErrorNote error={edit.error ?? remove.error} />
    </article>
  );
}

/**
 * "Alex is typing…": others only (the server never echoes the typer), ended by their send or 5 s.
 * The end is also kept here: a signal lost with a dropped socket must not leave someone typing
 * forever, so each shows at most TYPING_SHOWN_MS after their last signal, and none without a socket.
 */
function Typing({ conversationId }: { conversationId: string }) {
  const [typing, setTyping] = useState<Map<string, { name: string; until: number }>>(new Map());
  const connected = useLiveState().status === 'live';
  useEphemeral(TypingChangedSubscription, 'typingChanged', { conversationId }, (t) =>
    setTyping((now) => {
      const next = new Map(now);
      if (t.typing) next.set(t.user.id, { name: t.user.name, until: Date.now() + TYPING_SHOWN_MS });
      else next.delete(t.user.id);
      return next;
    }),
  );
  useEffect(() => {
    if (!connected) return setTyping(new Map());
    if (typing.size === 0) return;
    const first = Math.min(...[...typing.values()].map((t) => t.until));
    const timer = setTimeout(
      () =>
        setTyping((now) => {
          const kept = [...now].filter(([, t]) => t.until > Date.now() + 20);
          return kept.length === now.size ? now : new Map(kept);
        }),
      Math.max(0, first - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [typing, connected]);
  const names = [...typing.values()].map((t) => t.name);
  return (
    <p className="chat-typing muted small" data-testid="typing" aria-live="polite">
      {names.length === 0 ? '\u00a0' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`}
    </p>
  );
}

function Compose({ conversationId }: { conversationId: string }) {
  const [body, setBody] = useState('');
  const [{ fetching, error }, send] = useMutation(SendMessageMutation);
  const [, signalTyping] = useMutation(SetTypingMutation);
  const lastSignal = useRef(0);
  // One id per message written: a send repeated after a lost answer makes no second message.
  const clientMessageId = useRef<string | null>(null);

  function onChange(value: string) {
    setBody(value);
    if (value.trim() && Date.now() - lastSignal.current > TYPING_SIGNAL_MS) {
      lastSignal.current = Date.now();
      void signalTyping({ conversationId });
    }
  }
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const text = body.trim();
    if (!text) return;
    // Cleared at once: online the answer follows, offline the message waits in the queue.
    const id = clientMessageId.current ?? crypto.randomUUID();
    clientMessageId.current = null;
    lastSignal.current = 0;
    setBody('');
    const r = await send({ conversationId, body: text, clientMessageId: id });
    if (r.error) {
      // Refused or not sent: the text comes back, and sending it again reuses the id.
      setBody(text);
      clientMessageId.current = id;
    }
  }
  return (
    <form className="chat-compose" onSubmit={onSubmit} aria-label="Write a message">
      <input
        aria-label="Message"
        placeholder="Write a message…"
        value={body}
        maxLength={MAX_LENGTH}
        onChange={(e) => onChange(e.target.value)}
      />
      <button type="submit" className="btn btn-primary" disabled={fetching || !body.trim()}>
        Send
      </button>
      {error && <ErrorNote error={error} />}
    </form>
  );
}
