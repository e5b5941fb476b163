import type { EphemeralBus } from './ephemeral-bus';

/**
 * "Alex is typing…": `setTyping` marks a user as typing in a conversation for `expiryMs` (again
 * extends it; sending a message ends it). Signals cross instances on the ephemeral bus; each
 * instance times the expiry itself for the conversations its subscribers watch, so a lost "stopped"
 * signal, or a typer whose instance died, still ends within `expiryMs`.
 */
export type TypingMessage = { kind: 'typing'; conversationId: string; userId: string; typing: boolean };
export type TypingChange = { conversationId: string; userId: string; typing: boolean };

export function createTyping(bus: EphemeralBus<TypingMessage>, options: { expiryMs: number }) {
  const watchers = new Map<string, Set<(change: TypingChange) => void>>();
  /** Per watched conversation: who is typing, and the timer that ends it. */
  const typing = new Map<string, Map<string, NodeJS.Timeout>>();

  const tell = (change: TypingChange) => {
    for (const listener of watchers.get(change.conversationId) ?? []) listener(change);
  };

  function stopped(conversationId: string, userId: string) {
    const typers = typing.get(conversationId);
    const timer = typers?.get(userId);
    if (!timer) return;
    clearTimeout(timer);
    typers!.delete(userId);
    tell({ conversationId, userId, typing: false });
  }

  function receive(message: TypingMessage) {
    const typers = typing.get(message.conversationId);
    if (!typers) return; // nobody here watches this conversation
    if (!message.typing) return stopped(message.conversationId, message.userId);
    const known = typers.get(message.userId);
    if (known) clearTimeout(known);
    const timer = setTimeout(() => stopped(message.conversationId, message.userId), options.expiryMs);
    timer.unref();
    typers.set(message.userId, timer);
    if (!known) tell({ conversationId: message.conversationId, userId: message.userId, typing: true });
  }

  let unsubscribe: (() => void) | undefined;
  return {
    start() {
      unsubscribe = bus.subscribe(receive);
    },
    async stop() {
      unsubscribe?.();
      for (const typers of typing.values()) for (const timer of typers.values()) clearTimeout(timer);
      typing.clear();
    },
    /** The user typed (again) in the conversation. */
    typed: (conversationId: string, userId: string) =>
      bus.publish({ kind: 'typing', conversationId, userId, typing: true }),
    /** The user stopped typing (sent their message). */
    stoppedTyping: (conversationId: string, userId: string) =>
      bus.publish({ kind: 'typing', conversationId, userId, typing: false }),
    /** Calls `listener` with every start and stop of typing in the conversation from now on. */
    watch(conversationId: string, listener: (change: TypingChange) => void): () => void {
      let listeners = watchers.get(conversationId);
      if (!listeners) {
        watchers.set(conversationId, (listeners = new Set()));
        typing.set(conversationId, new Map());
      }
      listeners.add(listener);
      // Someone already typing is news to a watcher who just arrived (an extended typing is
      // never told again, so without this it would learn of it only when it ends).
      for (const userId of typing.get(conversationId)!.keys()) listener({ conversationId, userId, typing: true });
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        watchers.delete(conversationId);
        for (const timer of typing.get(conversationId)?.values() ?? []) clearTimeout(timer);
        typing.delete(conversationId);
      };
    },
  };
}

export type Typing = ReturnType<typeof createTyping>;
