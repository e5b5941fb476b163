import { Redis } from 'ioredis';
import type { Logger } from '../logger';

const CHANNEL = 'homeroom:ephemeral';

/**
 * Presence and typing travel here, never through the outbox or Postgres: Redis pub/sub between
 * instances (at-most-once is fine: presence heartbeats repeat the whole state, typing expires by
 * itself), or an in-process target for a single instance.
 */
export type EphemeralBus<M> = {
  publish(message: M): void;
  subscribe(listener: (message: M) => void): () => void;
  stop(): Promise<void>;
};

export function createInProcessEphemeralBus<M>(): EphemeralBus<M> {
  const listeners = new Set<(message: M) => void>();
  return {
    // Asynchronous like Redis, so a publisher never re-enters its own listener mid-update.
    publish: (message) =>
      queueMicrotask(() => {
        for (const listener of listeners) listener(message);
      }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: async () => listeners.clear(),
  };
}

export function createRedisEphemeralBus<M>(url: string, log: Logger): EphemeralBus<M> {
  const publisher = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null });
  const listeners = new Set<(message: M) => void>();
  for (const client of [publisher, subscriber])
    client.on('error', (error) => log.warn({ err: error.message }, 'redis error (presence)'));
  subscriber.subscribe(CHANNEL).catch((error: Error) => log.warn({ err: error.message }, 'presence subscribe failed'));
  subscriber.on('message', (_channel: string, raw: string) => {
    let message: M;
    try {
      message = JSON.parse(raw) as M;
    } catch {
      return;
    }
    for (const listener of listeners) listener(message);
  });
  return {
    publish: (message) =>
      void publisher
        .publish(CHANNEL, JSON.stringify(message))
        .catch((error: Error) => log.warn({ err: error.message }, 'presence publish failed')),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      listeners.clear();
      // QUIT after what is queued, so a last "bye" still leaves.
      await publisher.quit().catch(() => publisher.disconnect());
      subscriber.disconnect();
    },
  };
}
