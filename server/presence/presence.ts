import { randomUUID } from 'node:crypto';
import type { EphemeralBus } from './ephemeral-bus';

/**
 * Who is online in a course, and where (a page or conversation), from live subscriptions: while a
 * `presenceChanged` subscription lives, its user is present. Never written anywhere durable.
 *
 * Each instance owns its own sessions and tells the others: at once for the course that changed,
 * and its whole table every heartbeat (which also repairs a lost pub/sub message). An instance not
 * heard from within the expiry (it died without a word) no longer counts, so its users leave
 * everyone's view. A user with several tabs or devices is one entry and leaves with the last.
 *
 * A session may be hidden (its user is not shown) and may name the conversation open in its tab
 * (never shown: it only spares that user a notification for a direct message they are reading).
 */
export type PresenceEntry = { userId: string; courseId: string; where: string | null; since: string };
export type PresenceDiff = { action: 'JOINED' | 'LEFT' | 'MOVED'; entry: PresenceEntry };
/** One subscription's presence, as instances tell each other. */
export type PresenceSession = PresenceEntry & { hidden?: boolean; open?: string | null };

export type PresenceMessage =
  | { kind: 'course'; instance: string; courseId: string; entries: PresenceSession[] }
  | { kind: 'heartbeat'; instance: string; entries: PresenceSession[] }
  | { kind: 'hello'; instance: string }
  | { kind: 'bye'; instance: string };

export type PresenceOptions = {
  /** How often this instance repeats its whole table. @default 2000 */
  heartbeatMs: number;
  /** An instance silent this long is dropped with its users. @default 6000 */
  expiryMs: number;
  /**
   * A session that ends is removed this much later: a tab that resubscribes (another tab of the
   * course page, another conversation, a reload) stays present instead of leaving and joining.
   * @default 1000
   */
  leaveGraceMs: number;
};

export type JoinOptions = { where: string | null; hidden?: boolean; open?: string | null };

type Remote = { heardAt: number; byCourse: Map<string, PresenceSession[]> };

export function createPresence(bus: EphemeralBus<PresenceMessage>, options: PresenceOptions) {
  const instance = randomUUID();
  /** This instance's sessions (one per subscription). */
  const sessions = new Map<string, PresenceSession>();
  /** Sessions that ended, removed when their grace is over. */
  const leaving = new Map<string, NodeJS.Timeout>();
  const remotes = new Map<string, Remote>();
  const watchers = new Map<string, Set<(diff: PresenceDiff) => void>>();
  /** The merged view last told to each watched course's watchers. */
  const shown = new Map<string, Map<string, PresenceEntry>>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const localSessions = (courseId?: string) =>
    [...sessions.values()].filter((e) => !courseId || e.courseId === courseId);
  const allSessions = (courseId: string) => [
    ...localSessions(courseId),
    ...[...remotes.values()].flatMap((r) => r.byCourse.get(courseId) ?? []),
  ];

  /** One entry per shown user across every instance: the most recent session says where they are. */
  function view(courseId: string): Map<string, PresenceEntry> {
    const byUser = new Map<string, PresenceEntry>();
    for (const session of allSessions(courseId)) {
      if (session.hidden) continue;
      const known = byUser.get(session.userId);
      if (!known || known.since < session.since)
        byUser.set(session.userId, {
          userId: session.userId,
          courseId: session.courseId,
          where: session.where,
          since: session.since,
        });
    }
    return byUser;
  }

  /** Tells each watched course's watchers what changed since they were last told. */
  function announce(courseIds: Iterable<string>) {
    for (const courseId of new Set(courseIds)) {
      const listeners = watchers.get(courseId);
      if (!listeners?.size) continue;
      const before = shown.get(courseId) ?? new Map<string, PresenceEntry>();
      const after = view(courseId);
      shown.set(courseId, after);
      const diffs: PresenceDiff[] = [];
      for (const [userId, entry] of after) {
        const old = before.get(userId);
        if (!old) diffs.push({ action: 'JOINED', entry });
        else if (old.where !== entry.where) diffs.push({ action: 'MOVED', entry });
      }
      for (const [userId, entry] of before) if (!after.has(userId)) diffs.push({ action: 'LEFT', entry });
      for (const diff of diffs) for (const listener of listeners) listener(diff);
    }
  }

  const publishCourse = (courseId: string) =>
    bus.publish({ kind: 'course', instance, courseId, entries: localSessions(courseId) });
  const heartbeat = () => bus.publish({ kind: 'heartbeat', instance, entries: localSessions() });

  function expire() {
    const now = Date.now();
    const affected: string[] = [];
    for (const [id, remote] of remotes)
      if (now - remote.heardAt > options.expiryMs) {
        remotes.delete(id);
        affected.push(...remote.byCourse.keys());
      }
    announce(affected);
  }

  function receive(message: PresenceMessage) {
    if (message.instance === instance) return;
    if (message.kind === 'hello') return heartbeat();
    const remote = remotes.get(message.instance);
    if (message.kind === 'bye') {
      remotes.delete(message.instance);
      return announce(remote?.byCourse.keys() ?? []);
    }
    const target = remote ?? { heardAt: 0, byCourse: new Map() };
    target.heardAt = Date.now();
    remotes.set(message.instance, target);
    if (message.kind === 'course') {
      target.byCourse.set(message.courseId, message.entries);
      return announce([message.courseId]);
    }
    const affected = new Set(target.byCourse.keys());
    target.byCourse = new Map();
    for (const entry of message.entries) {
      affected.add(entry.courseId);
      target.byCourse.set(entry.courseId, [...(target.byCourse.get(entry.courseId) ?? []), entry]);
    }
    announce(affected);
  }

  function remove(session: string, courseId: string) {
    leaving.delete(session);
    if (!sessions.delete(session)) return;
    publishCourse(courseId);
    announce([courseId]);
  }

  return {
    start() {
      unsubscribe = bus.subscribe(receive);
      bus.publish({ kind: 'hello', instance });
      timer = setInterval(() => {
        heartbeat();
        expire();
      }, options.heartbeatMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      for (const pending of leaving.values()) clearTimeout(pending);
      leaving.clear();
      bus.publish({ kind: 'bye', instance });
      unsubscribe?.();
    },

    /** The user is present in the course until the returned function is called (and its grace is over). */
    join(courseId: string, userId: string, { where, hidden = false, open = null }: JoinOptions): () => void {
      const session = randomUUID();
      sessions.set(session, { userId, courseId, where, since: new Date().toISOString(), hidden, open });
      publishCourse(courseId);
      announce([courseId]);
      return () => {
        if (!sessions.has(session) || leaving.has(session)) return;
        if (options.leaveGraceMs <= 0) return remove(session, courseId);
        const pending = setTimeout(() => remove(session, courseId), options.leaveGraceMs);
        pending.unref();
        leaving.set(session, pending);
      };
    },

    /** Everyone shown as present in the course now, across instances. */
    list: (courseId: string): PresenceEntry[] => [...view(courseId).values()],

    /** Whether the user has this conversation open in a tab, on any instance (hidden or not). */
    isOpen: (courseId: string, userId: string, conversationId: string): boolean =>
      allSessions(courseId).some((s) => s.userId === userId && s.open === conversationId),

    /** Calls `listener` with each join, leave and move in the course from now on. */
    watch(courseId: string, listener: (diff: PresenceDiff) => void): () => void {
      let listeners = watchers.get(courseId);
      if (!listeners) {
        watchers.set(courseId, (listeners = new Set()));
        shown.set(courseId, view(courseId));
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          watchers.delete(courseId);
          shown.delete(courseId);
        }
      };
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
