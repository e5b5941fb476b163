// The connection's state as the header shows it, and who is told when it changes.

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';
export type LiveState = {
  status: LiveStatus;
  /** The app may query: the starting cursor is known (or could not be read: then we start anyway). */
  ready: boolean;
  /** When fresh data last arrived: an event applied, a poll answered, the socket (re)connected. */
  updatedAt: number | null;
  /** A poll is running (the refresh button shows it). */
  checking: boolean;
};

export type StateStore = {
  get(): LiveState;
  set(patch: Partial<LiveState>): void;
  /** For useSyncExternalStore: calls `listener` after every change; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
};

export function createStateStore(): StateStore {
  let state: LiveState = { status: 'connecting', ready: false, updatedAt: null, checking: false };
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
