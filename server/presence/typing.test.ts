/** Typing on one instance's in-process bus (the cross-instance path is presence.test.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessEphemeralBus } from './ephemeral-bus';
import { createTyping, type TypingChange, type TypingMessage } from './typing';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

function typingOn(expiryMs: number) {
  const bus = createInProcessEphemeralBus<TypingMessage>();
  const typing = createTyping(bus, { expiryMs });
  typing.start();
  stops.push(
    () => typing.stop(),
    () => bus.stop(),
  );
  return typing;
}
const watcher = (typing: ReturnType<typeof typingOn>, conversationId: string) => {
  const heard: TypingChange[] = [];
  const unwatch = typing.watch(conversationId, (change) => heard.push(change));
  return { heard, unwatch };
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('typing', () => {
  it('a watcher who arrives while someone types is told at once, though the typing is only extended', async () => {
    const typing = typingOn(5_000);
    const first = watcher(typing, 'c1');
    typing.typed('c1', 'alex');
    await settle();
    expect(first.heard).toEqual([{ conversationId: 'c1', userId: 'alex', typing: true }]);
    const late = watcher(typing, 'c1');
    typing.typed('c1', 'alex'); // extends: nothing new for the first watcher
    await settle();
    expect(late.heard).toEqual([{ conversationId: 'c1', userId: 'alex', typing: true }]);
    expect(first.heard).toHaveLength(1);
  });

  it('ends by itself after the expiry, and at once when stopped; other conversations hear nothing', async () => {
    const typing = typingOn(150);
    const c1 = watcher(typing, 'c1');
    const c2 = watcher(typing, 'c2');
    typing.typed('c1', 'alex');
    typing.typed('c1', 'sam');
    await settle();
    typing.stoppedTyping('c1', 'sam');
    await settle();
    expect(c1.heard.map((c) => [c.userId, c.typing])).toEqual([
      ['alex', true],
      ['sam', true],
      ['sam', false],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(c1.heard.at(-1)).toEqual({ conversationId: 'c1', userId: 'alex', typing: false });
    expect(c2.heard).toEqual([]);
  });
});
