'use client';
// React access to the tab's live connection (created with the urql client in ../urql.ts).
import { print } from '@0no-co/graphql.web';
import { createContext, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import { useSubscription } from 'urql';
import type { TadaDocumentNode } from '../graphql';
import type { Live, LiveListener, LiveState } from './connection';
import type { CourseTopic, EventShape } from './topic';

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

/**
 * Follows a per-course topic (./topics, COURSE_TOPICS) while the calling view is mounted: its
 * subscription over the socket, and — the topic being derived, not polled — `reload` (the view's
 * network-only refetch) when events it derives from arrive while the socket is down, or a RESYNC.
 */
export function useCourseTopic<Field extends string, Event extends EventShape>(
  topic: CourseTopic<Field, Event>,
  courseId: string,
  reload: () => void,
) {
  const live = useLive();
  const [{ data }] = useSubscription({ query: topic.document, variables: { courseId }, pause: !live });
  const latest = useRef(reload);
  useEffect(() => {
    latest.current = reload;
  });
  useEffect(() => {
    if (data?.[topic.field]?.action === 'RESYNC') latest.current();
  }, [data, topic.field]);
  useLiveEvents((event) => {
    if (live?.getState().status !== 'live' && topic.derivedFrom.includes(event.__typename)) latest.current();
  });
}

/**
 * Follows an ephemeral subscription (presence, typing) while mounted, with these variables
 * (null: none): `onValue` gets each value of its `field`. Every start (new variables, a reconnect)
 * begins with the whole state again, as the server sends it.
 */
export function useEphemeral<Result, Variables, Field extends keyof Result & string>(
  document: TadaDocumentNode<Result, Variables>,
  field: Field,
  variables: Variables | null,
  onValue: (value: Result[Field]) => void,
) {
  const live = useLive();
  const latest = useRef(onValue);
  useEffect(() => {
    latest.current = onValue;
  });
  const key = variables ? JSON.stringify(variables) : null;
  useEffect(() => {
    if (!live || key === null) return;
    return live.ephemeral<Result[Field]>(field, print(document), JSON.parse(key), (value) => latest.current(value));
  }, [live, document, field, key]);
}
