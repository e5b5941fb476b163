'use client';
import type { LiveStatus } from '../lib/live/connection';
// The header's connection indicator: Live / Reconnecting / Offline — polling, when fresh data
// last arrived, and a button to check for updates now (it also retries the socket at once).
import { useLive, useLiveState } from '../lib/live/react';

const LABEL: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline — polling',
};

const clock = (t: number) =>
  new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function ConnectionStatus() {
  const live = useLive();
  const { status, updatedAt, checking } = useLiveState();
  if (!live) return null;
  return (
    <div className="live" data-state={status}>
      <span className="connection-status" data-testid="connection-status" data-state={status}>
        <span className="live-dot" aria-hidden="true" />
        {/* Only the state is announced; the time changes with every update and would be noise. */}
        <span className="live-label" role="status" aria-live="polite">
          {LABEL[status]}
        </span>
        {updatedAt && (
          <span className="live-time">
            {' · '}
            <span className="live-time-word">updated </span>
            <time
              dateTime={new Date(updatedAt).toISOString()}
              title={`Last update: ${new Date(updatedAt).toLocaleString()}`}
            >
              {clock(updatedAt)}
            </time>
          </span>
        )}
      </span>
      <button
        type="button"
        className="live-refresh"
        onClick={() => live.refresh()}
        aria-label="Check for updates now"
        title="Check for updates now"
        aria-busy={checking || undefined}
        data-testid="refresh-updates"
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16" className={checking ? 'spin' : undefined}>
          <path
            fill="currentColor"
            d="M17.65 6.35A7.95 7.95 0 0 0 12 4a8 8 0 1 0 7.75 10h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35Z"
          />
        </svg>
      </button>
    </div>
  );
}
