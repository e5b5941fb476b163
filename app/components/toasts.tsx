'use client';
// Toasts for the signed-in person's own notifications as they arrive (live or polled, once each).
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { useMutation } from 'urql';
import type { Notification } from '../lib/documents';
import { MarkNotificationReadMutation } from '../lib/documents';
import { useLiveEvents } from '../lib/live/react';
import { kindLabel } from './notifications-view';

const SHOW_MS = 8_000;
const MAX_TOASTS = 3;

function Toast({ n, dismiss }: { n: Notification; dismiss: (id: string) => void }) {
  const [, markRead] = useMutation(MarkNotificationReadMutation);
  const [paused, setPaused] = useState(false);
  const onDismiss = () => dismiss(n.id);
  useEffect(() => {
    if (paused) return;
    const timer = setTimeout(() => dismiss(n.id), SHOW_MS);
    return () => clearTimeout(timer);
  }, [paused, dismiss, n.id]);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: hovering only pauses the timer; the toast is not a control
    <div
      className="toast"
      data-testid="toast"
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
    >
      <span className="pill">{kindLabel[n.kind] ?? n.kind}</span>
      {n.link ? (
        <Link
          href={n.link}
          onClick={() => {
            void markRead({ id: n.id });
            onDismiss();
          }}
        >
          {n.message}
        </Link>
      ) : (
        <span>{n.message}</span>
      )}
      <button type="button" className="toast-close" onClick={onDismiss} aria-label={`Dismiss “${n.message}”`}>
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const [toasts, setToasts] = useState<Notification[]>([]);
  const dismiss = useCallback((id: string) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  useLiveEvents((event) => {
    if (event.__typename !== 'NotificationEvent' || event.action !== 'CREATED') return;
    const n = event.notification;
    if (!n || n.read) return;
    setToasts((ts) => (ts.some((t) => t.id === n.id) ? ts : [...ts, n].slice(-MAX_TOASTS)));
  });
  return (
    <div className="toasts" role="status" aria-live="polite" aria-label="New notifications">
      {toasts.map((n) => (
        <Toast key={n.id} n={n} dismiss={dismiss} />
      ))}
    </div>
  );
}
