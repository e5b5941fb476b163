import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { LiveEvent } from './event';

const CHANNEL = 'homeroom:outbox';

/**
 * How events travel from the relay to every instance. Redis pub/sub is at-most-once: the hub
 * repairs gaps from the outbox, so a publish that fails here is logged, not retried.
 */
export type EventBus = {
  publish(event: LiveEvent): void;
  subscribe(listener: (event: LiveEvent) => void): () => void;
  /** Called after the bus came back from an outage, so the hub can catch up at once. */
  onResume(callback: () => void): void;
  connected(): boolean;
  stop(): Promise<void>;
};

export function createInProcessBus(): EventBus {
  const target = new EventTarget();
  return {
    publish: (event) => target.dispatchEvent(new CustomEvent(CHANNEL, { detail: event })),
    subscribe(listener) {
      const handler = (e: Event) => listener((e as CustomEvent<LiveEvent>).detail);
      target.addEventListener(CHANNEL, handler);
      return () => target.removeEventListener(CHANNEL, handler);
    },
    onResume: () => {},
    connected: () => true,
    stop: async () => {},
  };
}

export function createRedisBus(url: string, log: Logger): EventBus {
  // Publishes fail fast while Redis is away instead of queueing without bound.
  const publishClient = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  const subscribeClient = new Redis(url, { maxRetriesPerRequest: null });
  for (const [name, client] of [
    ['publish', publishClient],
    ['subscribe', subscribeClient],
  ] as const) {
    client.on('error', (error) => log.warn({ err: error.message, client: name }, 'redis error'));
  }
  const safePublisher = {
    publish: (channel: string, message: string) =>
      publishClient
        .publish(channel, message)
        .catch((error: Error) =>
          log.warn({ err: error.message }, 'redis publish failed; hubs will repair from the outbox'),
        ),
  } as unknown as Redis;
  const target = createRedisEventTarget<CustomEvent<LiveEvent>>({ publishClient: safePublisher, subscribeClient });

  const resumeCallbacks: (() => void)[] = [];
  let seenReady = false;
  subscribeClient.on('ready', () => {
    if (seenReady) for (const callback of resumeCallbacks) callback();
    seenReady = true;
  });

  return {
    publish: (event) => target.dispatchEvent(new CustomEvent(CHANNEL, { detail: event })),
    subscribe(listener) {
      const handler = (e: CustomEvent<LiveEvent>) => listener(e.detail);
      target.addEventListener(CHANNEL, handler);
      return () => target.removeEventListener(CHANNEL, handler);
    },
    onResume: (callback) => resumeCallbacks.push(callback),
    connected: () => subscribeClient.status === 'ready' && publishClient.status === 'ready',
    async stop() {
      // QUIT after the replies still due: redis-event-target sends (un)subscribe and publish without
      // a handler, and a disconnect() under them left an unhandled "Connection is closed".
      await Promise.all(
        [publishClient, subscribeClient].map((client) =>
          // Not connected (Redis down): nothing is due, and a queued QUIT would wait for Redis.
          client.status === 'ready' ? client.quit().catch(() => client.disconnect()) : client.disconnect(),
        ),
      );
    },
  };
}
