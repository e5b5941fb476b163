'use client';
import Link from 'next/link';
import { type KeyboardEvent, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { CourseQuery } from '../../lib/documents';
import { useLiveEvents } from '../../lib/live/react';
import { endsAccess } from '../../lib/live/topics/courses';
import { useSession } from '../../lib/session';
import { errorCode } from '../../lib/urql';
import { ErrorNote, Loading } from '../status';
import { AttendanceTab } from './attendance-tab';
import { ChatTab } from './chat-tab';
import { UnreadBadge, useChatUnread } from './chat-unread';
import { CourseStatsPanel } from './course-stats';
import { FeedTab } from './feed-tab';
import { GradesTab } from './grades-tab';
import { PollsTab } from './polls-tab';
import { Presence } from './presence';
import { TABS, type Tab } from './tabs';

export function CourseView({
  id,
  initialTab,
  initialConversation,
}: {
  id: string;
  initialTab: Tab;
  initialConversation: string | null;
}) {
  const [tab, setTab] = useState<Tab>(initialTab);
  const [conversation, setConversation] = useState<string | null>(initialConversation);
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});
  const [{ data, error, fetching }, refetch] = useQuery({ query: CourseQuery, variables: { id } });
  const unread = useChatUnread(id, !data?.course);
  const viewerId = useSession()?.user.id;
  // Taken out of the course while looking at it: say so instead of showing what is no longer yours.
  const [accessEnded, setAccessEnded] = useState(false);
  useLiveEvents((e) => {
    if (e.__typename !== 'CourseEvent' || e.courseId !== id || e.entityId !== viewerId) return;
    if (endsAccess(e, viewerId)) setAccessEnded(true);
    else if (e.action === 'CREATED' && (e.change === 'ENROLMENT' || e.change === 'TEACHING')) {
      setAccessEnded(false);
      refetch({ requestPolicy: 'network-only' });
    }
  });

  function select(next: Tab, focus = false) {
    setTab(next);
    // Keep the tab in the address so reloads and shared links land on it.
    const url = new URL(window.location.href);
    url.searchParams.set('tab', next);
    window.history.replaceState(null, '', url);
    if (focus) tabRefs.current[next]?.focus();
  }
  function openConversation(next: string) {
    setConversation(next);
    const url = new URL(window.location.href);
    url.searchParams.set('conversation', next);
    window.history.replaceState(null, '', url);
  }
  function onKeyDown(e: KeyboardEvent) {
    const i = TABS.findIndex((t) => t.id === tab);
    const move = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (move) select(TABS[(i + move + TABS.length) % TABS.length].id, true);
    if (e.key === 'Home') select(TABS[0].id, true);
    if (e.key === 'End') select(TABS[TABS.length - 1].id, true);
  }

  if (accessEnded)
    return (
      <div className="stack">
        <p className="status status-error" role="alert" data-testid="access-ended">
          Your access to this course has ended.
        </p>
        <p>
          <Link href="/">Back to the dashboard</Link>
        </p>
      </div>
    );
  if (fetching && !data) return <Loading label="Loading course…" />;
  if (!data?.course) {
    const code = errorCode(error);
    const message =
      code === 'FORBIDDEN'
        ? 'You do not have access to this course.'
        : code === 'NOT_FOUND' || code === 'BAD_USER_INPUT' || (data && !data.course)
          ? 'This course does not exist.'
          : undefined;
    return (
      <div className="stack">
        <ErrorNote
          error={error}
          message={message}
          retry={code ? undefined : () => refetch({ requestPolicy: 'network-only' })}
        />
        <p>
          <Link href="/">Back to the dashboard</Link>
        </p>
      </div>
    );
  }
  const course = data.course;
  const manage = course.viewerCanManage;
  return (
    <div className="stack">
      <div className="course-head">
        <p className="course-code">{course.code}</p>
        <h1>{course.title}</h1>
        <p className="muted">
          {course.instructors.map((i) => i.name).join(', ') || 'No instructor yet'}
          {manage && ` · ${course.studentCount} students`}
        </p>
        {viewerId && (
          <Presence
            courseId={id}
            viewerId={viewerId}
            where={tab}
            conversationId={tab === 'chat' ? conversation : null}
          />
        )}
      </div>
      {manage && <CourseStatsPanel courseId={id} />}
      <div role="tablist" aria-label="Course sections" className="tabs" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => select(t.id)}
          >
            {t.label}
            {t.id === 'chat' && <UnreadBadge count={unread} testId="chat-unread" />}
          </button>
        ))}
      </div>
      <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel" tabIndex={0}>
        {tab === 'grades' && <GradesTab courseId={id} manage={manage} />}
        {tab === 'attendance' && <AttendanceTab courseId={id} manage={manage} />}
        {tab === 'polls' && <PollsTab courseId={id} manage={manage} />}
        {tab === 'feed' && <FeedTab courseId={id} manage={manage} />}
        {tab === 'chat' && <ChatTab courseId={id} manage={manage} open={conversation} onOpen={openConversation} />}
      </section>
    </div>
  );
}
