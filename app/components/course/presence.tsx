'use client';
// Who is online in the course, and on which tab: while this is mounted the viewer is present too
// (presenceChanged makes its subscriber present), at the tab they are on and, in the chat, with
// the conversation they read (never shown; it spares them a notification for it). "Hide me" keeps
// following the others without being shown, remembered in this browser. Without a socket nobody's
// presence is known (the last list would go stale unseen): it says so until the full state that
// follows a reconnect.
import { useEffect, useState } from 'react';
import { PresenceChangedSubscription, type PresenceEntry } from '../../lib/documents';
import { useEphemeral, useLiveState } from '../../lib/live/react';
import { TABS } from './tabs';

const HIDE_KEY = 'homeroom.hidePresence';
const tabLabel = (where: string | null) => TABS.find((t) => t.id === where)?.label ?? 'Course';

export function Presence({
  courseId,
  viewerId,
  where,
  conversationId,
}: {
  courseId: string;
  viewerId: string;
  where: string;
  conversationId: string | null;
}) {
  const [hidden, setHidden] = useState(false);
  useEffect(() => setHidden(window.localStorage.getItem(HIDE_KEY) === '1'), []);
  const [entries, setEntries] = useState<Map<string, PresenceEntry>>(new Map());
  useEphemeral(PresenceChangedSubscription, 'presenceChanged', { courseId, where, hidden, conversationId }, (e) =>
    setEntries((now) => {
      if (e.action === 'SNAPSHOT') return new Map(e.entries.map((x) => [x.user.id, x]));
      if (!e.entry) return now;
      const next = new Map(now);
      if (e.action === 'LEFT') next.delete(e.entry.user.id);
      else next.set(e.entry.user.id, e.entry);
      return next;
    }),
  );
  const status = useLiveState().status;
  const connected = status === 'live';
  useEffect(() => {
    if (!connected) setEntries(new Map());
  }, [connected]);
  const others = [...entries.values()].filter((e) => e.user.id !== viewerId);
  function toggle(hide: boolean) {
    setHidden(hide);
    window.localStorage.setItem(HIDE_KEY, hide ? '1' : '0');
  }
  return (
    <section className="presence small" aria-label="Online now">
      <span className="muted">Online:</span>{' '}
      {!connected ? (
        <span className="muted" data-testid="presence-unknown">
          {status === 'connecting' ? '…' : 'unknown until the connection is back'}
        </span>
      ) : others.length === 0 ? (
        <span className="muted">nobody else</span>
      ) : (
        <ul className="presence-list">
          {others.map((e) => (
            <li key={e.user.id} data-testid="online">
              <span className="presence-dot" aria-hidden="true" /> {e.user.name}{' '}
              <span className="muted">· {tabLabel(e.where)}</span>
            </li>
          ))}
        </ul>
      )}
      <label className="check presence-hide">
        <input type="checkbox" checked={hidden} onChange={(e) => toggle(e.target.checked)} />
        <span>Hide me</span>
      </label>
    </section>
  );
}
