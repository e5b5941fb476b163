// A hidden tab (another tab in front, a phone's screen off) needs no fresh data every few seconds:
// it polls and pings less often, and catches up at once when shown again (connection.ts).

/** True while the page is not visible; false outside a browser. */
export const isHidden = (): boolean => typeof document !== 'undefined' && document.visibilityState === 'hidden';

/** Milliseconds until the next check, for a tab visible or not: `visibleMs`, or at least `hiddenMs` while hidden. */
export const visibilityAware = (visibleMs: number, hiddenMs: number, hidden = isHidden()): number =>
  hidden ? Math.max(visibleMs, hiddenMs) : visibleMs;
