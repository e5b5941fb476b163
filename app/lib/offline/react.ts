'use client';
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { OfflineWrites, PendingWrite, RefusedWrite } from './writes';

/** The signed-in client's offline writes (null while signed out and during server rendering). */
export const OfflineWritesContext = createContext<OfflineWrites | null>(null);

const NONE: never[] = [];
const noSubscription = () => () => {};

/** Writes made offline that the server has not answered yet, oldest first. */
export function usePendingWrites(): PendingWrite[] {
  const writes = useContext(OfflineWritesContext);
  return useSyncExternalStore(
    writes?.subscribe ?? noSubscription,
    () => writes?.pending() ?? NONE,
    () => NONE,
  );
}

/** Queued writes the server refused when they were replayed, until the person dismisses them. */
export function useRefusedWrites(): { refused: RefusedWrite[]; dismiss: (key: string) => void } {
  const writes = useContext(OfflineWritesContext);
  const refused = useSyncExternalStore(
    writes?.subscribe ?? noSubscription,
    () => writes?.refused() ?? NONE,
    () => NONE,
  );
  return { refused, dismiss: (key) => writes?.dismiss(key) };
}

/** True while a write of `operation` whose variables include `match` waits to be sent. */
export function isPending(pending: PendingWrite[], operation: string, match: Record<string, unknown>): boolean {
  return pending.some(
    (w) => w.operation === operation && Object.entries(match).every(([k, v]) => w.variables[k] === v),
  );
}
