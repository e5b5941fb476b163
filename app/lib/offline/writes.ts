// Writes made offline: what is waiting, what the server refused, and when to try again.
//
// graphcache's offlineExchange keeps the queue itself (operations whose mutation has an
// optimistic updater and failed with a network error) and persists it through the storage
// adapter's readMetadata/writeMetadata. Wrapping that adapter tells us, also after a reload,
// exactly which writes are queued; watching results below the cache tells us how each ended.
import type { SerializedRequest, StorageAdapter } from '@urql/exchange-graphcache';
import type { Exchange, Operation } from 'urql';
import { concatMap, fromPromise, fromValue, pipe, tap } from 'wonka';
import { idempotencyKeyOf } from './idempotency-exchange';

export type PendingWrite = {
  /** The write's Idempotency-Key: unique per user action. */
  key: string;
  /** The mutation's operation name, e.g. "RecordAttendance". */
  operation: string;
  variables: Record<string, unknown>;
};

export type RefusedWrite = PendingWrite & { code: string | undefined; message: string };

type Listener = () => void;

const operationNameIn = (query: string): string => query.match(/\bmutation\s+(\w+)/)?.[1] ?? 'Mutation';

const operationNameOf = (operation: Operation): string => {
  for (const d of operation.query.definitions) if (d.kind === 'OperationDefinition' && d.name) return d.name.value;
  return 'Mutation';
};

/** Results are let through without hydration after this long (an IndexedDB that never answers). */
const HYDRATION_WAIT_MS = 5_000;

/** How often a non-empty queue is tried again without an `online` event (a lost response, a flaky link). */
const RETRY_MS = [2_000, 5_000, 10_000, 30_000];

export type OfflineWrites = ReturnType<typeof createOfflineWrites>;

export function createOfflineWrites(storage: StorageAdapter) {
  const pending = new Map<string, PendingWrite>();
  let pendingList: PendingWrite[] = [];
  let refused: RefusedWrite[] = [];
  const listeners = new Set<Listener>();
  let flush: (() => void) | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let hydrated = false;
  let markHydrated: () => void = () => {};
  const hydration = new Promise<void>((resolve) => {
    markHydrated = () => {
      hydrated = true;
      resolve();
    };
  });
  if (typeof window !== 'undefined') setTimeout(markHydrated, HYDRATION_WAIT_MS);

  const emit = () => {
    pendingList = [...pending.values()];
    for (const l of listeners) l();
  };

  const scheduleRetry = () => {
    clearTimeout(retryTimer);
    if (pending.size === 0 || typeof window === 'undefined') {
      attempt = 0;
      return;
    }
    retryTimer = setTimeout(
      () => {
        attempt++;
        retry();
      },
      RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)],
    );
  };

  /** Sends the queue again (graphcache's flush); a no-op while nothing waits. */
  const retry = () => {
    if (pending.size > 0) flush?.();
    scheduleRetry();
  };

  const remember = (requests: SerializedRequest[] | null) => {
    let changed = false;
    for (const r of requests ?? []) {
      const key = r.extensions?.idempotencyKey as string | undefined;
      if (!key || pending.has(key)) continue;
      pending.set(key, { key, operation: operationNameIn(r.query), variables: r.variables ?? {} });
      changed = true;
    }
    if (changed) {
      emit();
      scheduleRetry();
    }
  };

  /** The storage adapter to give offlineExchange: the same IndexedDB, with the queue observed. */
  const observedStorage: StorageAdapter = {
    readData: () => storage.readData(),
    writeData: (delta) => storage.writeData(delta),
    onCacheHydrated: () => {
      markHydrated();
      storage.onCacheHydrated?.();
    },
    async readMetadata() {
      const requests = (await storage.readMetadata?.()) ?? null;
      remember(requests);
      return requests;
    },
    writeMetadata(requests) {
      remember(requests);
      storage.writeMetadata?.(requests);
    },
    onOnline(callback) {
      flush = callback;
      storage.onOnline?.(callback);
    },
  };

  /**
   * Sits below the offline cache: sees how every write sent (a replay included) ended. A queued
   * write that the server answered leaves the queue; if it refused it, graphcache has already
   * dropped its optimistic state, and the person is told (they had moved on long ago).
   */
  const exchange: Exchange =
    ({ forward }) =>
    (operations$) =>
      pipe(
        forward(operations$),
        tap((result) => {
          const key = result.operation.kind === 'mutation' ? idempotencyKeyOf(result.operation) : undefined;
          if (!key || result.error?.networkError || !pending.has(key)) return;
          const write = pending.get(key)!;
          pending.delete(key);
          const error = result.error?.graphQLErrors[0];
          if (error) {
            refused = [
              ...refused,
              {
                ...write,
                operation: operationNameOf(result.operation),
                code: error.extensions?.code as string | undefined,
                message: error.message,
              },
            ];
          }
          attempt = 0;
          emit();
          scheduleRetry();
        }),
      );

  /**
   * Sits right below the offline cache and holds results until the cache has read IndexedDB.
   * graphcache persists only what is written after hydration: an answer that came back sooner (a
   * fast API, a slow disk) would be shown but never stored, and an offline reload would then find
   * the page's data missing.
   */
  const hydrationGate: Exchange =
    ({ forward }) =>
    (operations$) =>
      pipe(
        forward(operations$),
        concatMap((result) => (hydrated ? fromValue(result) : fromPromise(hydration.then(() => result)))),
      );

  return {
    storage: observedStorage,
    hydrationGate,
    exchange,
    retry,
    pending: () => pendingList,
    refused: () => refused,
    dismiss(key: string) {
      refused = refused.filter((r) => r.key !== key);
      emit();
    },
    subscribe(listener: Listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      clearTimeout(retryTimer);
      listeners.clear();
    },
  };
}
