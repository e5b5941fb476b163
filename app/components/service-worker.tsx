'use client';
import { useEffect } from 'react';

/**
 * Registers public/sw.js (the app shell offline) in production builds. Not under `next dev`,
 * whose files change on every edit: a cached shell there would only get in the way.
 */
export function ServiceWorker() {
  useEffect(() => {
    if (process.env.NODE_ENV !== 'production' || !('serviceWorker' in navigator)) return;
    navigator.serviceWorker
      .register('/sw.js')
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        // What this page loaded before the worker ran: cache it too (see public/sw.js).
        const assets = performance
          .getEntriesByType('resource')
          .map((e) => e.name)
          .filter((u) => new URL(u).pathname.startsWith('/_next/static/'));
        registration.active?.postMessage({ type: 'cache-shell', urls: [window.location.href, ...assets] });
      })
      .catch(() => {
        // Without it the app works as before; only offline reloads need it.
      });
  }, []);
  return null;
}
