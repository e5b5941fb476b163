/**
 * Presence without Redis: two instances' presence on one in-process bus (the wiring of a single
 * instance without REDIS_URL, twice), so merging, several tabs, the leave grace, hidden sessions,
 * open conversations and a silent instance's expiry are checked fast and exactly. The real
 * cross-instance path (Redis, a killed child process) is presence.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessEphemeralBus, type EphemeralBus } from './ephemeral-bus';
import { createPresence, type PresenceDiff, type PresenceMessage, type PresenceOptions } from './presence';

const OPTIONS: PresenceOptions = { heartbeatMs: 50, expiryMs: 200, leaveGraceMs: 100 };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** An instance on the shared bus; `silence()` cuts it off without a goodbye (a killed process). */
function instance(bus: EphemeralBus<PresenceMessage>, options = OPTIONS) {
  let silent = false;
  const own: EphemeralBus<PresenceMessage> = {
    publish: (message) => (silent ? undefined : bus.publish(message)),
    subscribe: (listener) => bus.subscribe((message) => silent || listener(message)),
    stop: async () => {},
  };
  const presence = createPresence(own, options);
  presence.start();
  stops.push(() => presence.stop());
  return Object.assign(presence, { silence: () => void (silent = true) });
}
function watch(presence: ReturnType<typeof instance>, courseId: string) {
  const diffs: PresenceDiff[] = [];
  stops.push(async () => unwatch());
  const unwatch = presence.watch(courseId, (diff) => diffs.push(diff));
  return diffs;
}
const brief = (diffs: PresenceDiff[]) => diffs.map((d) => `${d.action} ${d.entry.userId}@${d.entry.where}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, ms = 2_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

describe('presence on the in-process bus', () => {
  it('several tabs on two instances are one entry, which leaves with the last tab after the grace', async () => {
    const bus = createInProcessEphemeralBus<PresenceMessage>();
    const [a, b] = [instance(bus), instance(bus)];
    const seen = watch(a, 'c1');
    const tab1 = a.join('c1', 'sam', { where: 'grades' });
    await sleep(5);
    const tab2 = b.join('c1', 'sam', { where: 'chat' });
    await until(() => seen.length === 2);
    expect(brief(seen)).toEqual(['JOINED sam@grades', 'MOVED sam@chat']);
    expect(b.list('c1')).toEqual([expect.objectContaining({ userId: 'sam', where: 'chat' })]);
    tab2();
    tab1();
    await sleep(OPTIONS.leaveGraceMs / 2);
    expect(a.list('c1')).toHaveLength(1); // still within the grace
    await until(() => seen.length === 4);
    expect(brief(seen).slice(2)).toEqual(['MOVED sam@grades', 'LEFT sam@grades']);
    expect(a.list('c1')).toEqual([]);
    expect(b.list('c1')).toEqual([]);
  });

  it('a tab that resubscribes within the grace (another tab of the page) moves, never leaves', async () => {
    const bus = createInProcessEphemeralBus<PresenceMessage>();
    const [a, b] = [instance(bus), instance(bus)];
    const seen = watch(a, 'c1');
    const first = b.join('c1', 'sam', { where: 'grades' });
    await until(() => seen.length === 1);
    first();
    b.join('c1', 'sam', { where: 'polls' });
    await sleep(OPTIONS.leaveGraceMs * 2);
    expect(brief(seen)).toEqual(['JOINED sam@grades', 'MOVED sam@polls']);
  });

  it('a hidden session is never shown, yet its open conversation counts; courses are apart', async () => {
    const bus = createInProcessEphemeralBus<PresenceMessage>();
    const [a, b] = [instance(bus), instance(bus)];
    const seen = watch(a, 'c1');
    b.join('c1', 'ada', { where: 'chat', hidden: true, open: 'conv-1' });
    b.join('c2', 'sam', { where: 'chat', open: 'conv-9' });
    await until(() => a.isOpen('c1', 'ada', 'conv-1'));
    expect(a.list('c1')).toEqual([]);
    expect(seen).toEqual([]);
    expect(a.isOpen('c1', 'ada', 'conv-2')).toBe(false);
    expect(a.isOpen('c1', 'sam', 'conv-9')).toBe(false);
    expect(a.isOpen('c2', 'sam', 'conv-9')).toBe(true);
  });

  it('an instance that falls silent (no goodbye) loses its users within expiry + heartbeat; one that stops says goodbye at once', async () => {
    const bus = createInProcessEphemeralBus<PresenceMessage>();
    const [a, b, c] = [instance(bus), instance(bus), instance(bus)];
    const seen = watch(a, 'c1');
    b.join('c1', 'sam', { where: null });
    c.join('c1', 'ada', { where: null });
    await until(() => seen.length === 2);
    const silencedAt = Date.now();
    b.silence();
    await until(() => seen.some((d) => d.action === 'LEFT' && d.entry.userId === 'sam'));
    const took = Date.now() - silencedAt;
    expect(took).toBeLessThanOrEqual(OPTIONS.expiryMs + OPTIONS.heartbeatMs + 100);
    expect(a.list('c1').map((e) => e.userId)).toEqual(['ada']);
    await c.stop();
    await until(() => a.list('c1').length === 0, OPTIONS.heartbeatMs); // the goodbye, not the expiry
  });

  it('a new instance learns the others’ state at once (hello → heartbeat)', async () => {
    const bus = createInProcessEphemeralBus<PresenceMessage>();
    const a = instance(bus, { ...OPTIONS, heartbeatMs: 60_000 });
    a.join('c1', 'sam', { where: 'feed' });
    const late = instance(bus, { ...OPTIONS, heartbeatMs: 60_000 });
    await until(() => late.list('c1').length === 1, 500);
    expect(late.list('c1')).toEqual([expect.objectContaining({ userId: 'sam', where: 'feed' })]);
  });
});
