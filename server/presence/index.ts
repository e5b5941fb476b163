import type { Logger } from '../logger';
import { createInProcessEphemeralBus, createRedisEphemeralBus, type EphemeralBus } from './ephemeral-bus';
import { createPresence, type PresenceMessage, type PresenceOptions } from './presence';
import { createTyping, type TypingMessage } from './typing';

export type EphemeralConfig = PresenceOptions & { redisUrl: string | undefined; typingExpiryMs: number };

/** Presence and typing of one instance, on their own bus (never the outbox); `stop()` says goodbye. */
export function createEphemeral(config: EphemeralConfig, log: Logger) {
  const bus: EphemeralBus<PresenceMessage | TypingMessage> = config.redisUrl
    ? createRedisEphemeralBus(config.redisUrl, log)
    : createInProcessEphemeralBus();
  const presence = createPresence(
    only(bus, (m): m is PresenceMessage => m.kind !== 'typing'),
    config,
  );
  const typing = createTyping(
    only(bus, (m): m is TypingMessage => m.kind === 'typing'),
    {
      expiryMs: config.typingExpiryMs,
    },
  );
  return {
    presence,
    typing,
    start() {
      presence.start();
      typing.start();
    },
    async stop() {
      await typing.stop();
      await presence.stop();
      await bus.stop();
    },
  };
}

/** One kind of message of a shared bus. */
function only<M, N extends M>(bus: EphemeralBus<M>, is: (m: M) => m is N): EphemeralBus<N> {
  return {
    publish: (message) => bus.publish(message),
    subscribe: (listener) => bus.subscribe((message) => is(message) && listener(message)),
    stop: async () => {},
  };
}

export type Ephemeral = ReturnType<typeof createEphemeral>;
