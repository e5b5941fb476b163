import type { TestApp } from '../app';

/**
 * Counts live subscriptions registering with an instance's hub from now on:
 *
 *   const registered = newStreams(api);
 *   conn.subscribe(…); conn.subscribe(…);
 *   await registered(2); // both streams take events from here on
 *
 * (Each stream listens to its topic plus `membership` and `account`: three hub listeners per stream.)
 */
export function newStreams(app: TestApp) {
  const listeners = () => app.app.live.hub.stats().listeners;
  const base = listeners();
  return async (streams: number, timeoutMs = 10_000) => {
    const { waitFor } = await import('./wait');
    await waitFor(() => listeners() >= base + streams * 3, { timeoutMs, what: `${streams} new live streams` });
  };
}
