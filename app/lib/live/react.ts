'use client';
// React access to the tab's live connection (created with the urql client in ../urql.ts).
import { createContext, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { Live, LiveListener, LiveState } from './connection';

export const LiveContext = createContext<Live | null>(null);

export const useLive = () => useContext(LiveContext);

const SIGNED_OUT: LiveState = { status: 'connecting', ready: true, updatedAt: null, checking: false };
const noop = () => () => {};

/** The connection's state (status, last update, ready); signed out: a fixed "ready" state. */
export function useLiveState(): LiveState {
  const live = useLive();
  return useSyncExternalStore(live ? live.subscribe : noop, live ? live.getState : () => SIGNED_OUT, () => SIGNED_OUT);
}

/** Calls `listener` for every live event applied while the component is mounted. */
export function useLiveEvents(listener: LiveListener) {
  const live = useLive();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => live?.onEvent((event) => latest.current(event)), [live]);
}
