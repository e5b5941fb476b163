import type { Access } from '../auth/access';
import { closeReasons } from '../auth/sessions';
import { userError } from '../errors';
import type { Metrics } from '../metrics';
import { type AccountEvent, accountEventOf, affects } from './accounts';
import { type Cursor, cursorOf, formatCursor, isAfter, maxCursor, ORIGIN, parseCursor } from './cursor';
import { deadlines, type Expiring } from './deadlines';
import { decodeOutboxRow, type LiveEvent } from './event';
import type { Hub, HubListener, Route } from './hub';
import { keptBy, type OutboxReader, type ReadFilter } from './outbox';
import { ACCOUNT_TOPIC, authorize, belongsTo, MEMBERSHIP_TOPIC, type TopicPolicy, type Verdict } from './topic';

/** What a live subscription yields: events (a coalesced burst keeps all of them), a resync signal, or a final error. */
export type LiveMessage =
  | { kind: 'event'; topic: string; event: LiveEvent; batch: LiveEvent[]; shareScope: string | null }
  | { kind: 'resync'; cursor: string; occurredAt: string }
  | { kind: 'error'; error: Error };

/**
 * Where a stream in push mode hands its messages (the graphql-ws fan-out, which writes frames
 * straight to the socket). It takes a message only when ready; after declining it calls the
 * stream's `resume()` once it can take more.
 */
export type StreamSink = {
  ready(): boolean;
  take(message: LiveMessage): void;
  /** No message will follow (the final error, if any, came before). */
  end(): void;
  /** Replaying (true) or live again (false): while replaying, messages come in bursts. */
  replaying?(on: boolean): void;
};

export type StreamOptions = {
  hub: Hub;
  reader: OutboxReader;
  /** The declared topic this stream delivers (live/topic.ts). */
  policy: TopicPolicy;
  /** What to hear from the hub (the topic's sources, narrowed to a course or to the viewer where possible). */
  routes: Route[];
  after: Cursor | null;
  /** Narrows the replay query; authorization still decides event by event. */
  replayFilter: Omit<ReadFilter, 'topics' | 'upTo'>;
  /** Argument filters: the course, and the topic's own narrowing (a poll). */
  courseId: string | null;
  narrow: ((event: LiveEvent) => boolean) | null;
  viewerId: string;
  /** The viewer's session: the stream ends (UNAUTHENTICATED) when an account event affects it. */
  sessionId?: string | null;
  /** An account event already heard since the viewer was authenticated: the stream ends at once. */
  revoked?: AccountEvent;
  /** The viewer's permissions: decide each event (sync when cached); forgotten on a membership change. */
  access: Access;
  maxQueue: number;
  /** The stream ends with a final UNAUTHENTICATED error then (the token it was opened with expires). */
  endsAt?: Date | null;
  /** Instead of a final SLOW_CONSUMER error, when the transport can do better. */
  slowSocket?: SlowSocket;
  /** Events of one course that arrive within this window leave as one message (content signals). */
  coalesceMs?: number;
  metrics?: Metrics;
};

const REPLAY_PAGE = 500;
/** A consumer over its bound that has taken no message for this long (and is not waiting for one) is slow. */
const SLOW_AFTER_MS = 1000;

export function slowConsumerError() {
  return userError(
    'BAD_USER_INPUT',
    'Too many undelivered events: resubscribe with `after` set to the last cursor you received',
    {
      code: 'SLOW_CONSUMER',
    },
  );
}

/**
 * How graphql-ws ends a subscriber that fell too far behind: it closes the socket with a code
 * clients retry on (they resume from their cursor). An object, not a callback: the socket's
 * session is it, where a closure per socket would cost ~300 B under tsx.
 */
export type SlowSocket = { closeSlowSocket(): void };

type Queued = { message: LiveMessage; key: string | null; readyAt: number };

export function openStream(options: StreamOptions): LiveStream {
  return new LiveStream(options);
}

/**
 * A live subscription: replays from the outbox up to the hub's seam, then continues with live
 * events after it — no gap, no duplicate. Bounded: a consumer that falls `maxQueue` events behind
 * gets a final SLOW_CONSUMER error and resumes from its cursor.
 *
 * Live events are handled synchronously as the hub hands them over whenever nothing is pending
 * (replay done, permissions cached): this runs for every subscriber on every event. A class, not
 * closures: thousands stay open for hours, and each closure costs memory per subscription.
 */
export class LiveStream implements AsyncIterableIterator<LiveMessage>, HubListener, Expiring {
  private readonly raw: LiveEvent[] = [];
  private readonly out: Queued[] = [];
  private closed = false;
  private ended = false;
  private pull: ((result: IteratorResult<LiveMessage>) => void) | null = null;
  private sink: StreamSink | null = null;
  /** Replaying, or waiting for a permission load: live events wait in `raw`, in order. */
  private busy = true;
  /** Set when the stream begins (see `begin`). */
  private floor: Cursor = ORIGIN;
  private seam: Cursor = ORIGIN;
  private begun = false;
  private listening = false;
  private lastProgressAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private slowCheck: NodeJS.Timeout | undefined;

  private readonly options: Omit<StreamOptions, 'replayFilter'>;
  /** Needed only until the replay is done: then dropped (a course list can be long). */
  private replayFilter: StreamOptions['replayFilter'] | null;

  constructor({ replayFilter, ...options }: StreamOptions) {
    this.options = options;
    this.replayFilter = replayFilter;
  }

  /** What it hears: built when it registers and when it leaves, not kept (it would be paid per subscription). */
  private routes(): Route[] {
    const { routes, viewerId } = this.options;
    return [...routes, { topic: MEMBERSHIP_TOPIC, userId: viewerId }, { topic: ACCOUNT_TOPIC, userId: viewerId }];
  }

  /**
   * Registers with the hub, starts the replay and the expiry timer: on the transport's first
   * `next()` (or `pushTo`), not when the subscription is created. A transport may still refuse the
   * request after the subscription was created (Yoga answers 406 to a subscription asked for as
   * `application/json`, after executing it) and never read or end it: such a stream must leave
   * nothing behind but garbage.
   */
  private begin() {
    if (this.begun) return;
    this.begun = true;
    if (this.closed) return;
    const { options } = this;
    options.metrics?.subscriptions.inc({ topic: options.policy.name });
    this.listening = true;
    this.seam = options.hub.listen(this.routes(), this);
    this.floor = this.seam;
    if (options.revoked) {
      this.endAccess(options.revoked);
      return;
    }
    void this.start();
    if (options.endsAt) deadlines.add(this, options.endsAt.getTime());
  }

  private forgetExpiry() {
    if (this.options.endsAt) deadlines.delete(this, this.options.endsAt.getTime());
  }

  /** From now on, messages go to `sink` as soon as it is ready instead of waiting for `next()`. */
  pushTo(sink: StreamSink) {
    this.sink = sink;
    this.begin();
    // The stream keeps its own expiry even where the transport closes the socket at the token's
    // expiry too: it must not outlive its token if the transport ever loses track of it.
    this.deliver();
  }

  /** The sink can take messages again. */
  resume() {
    this.lastProgressAt = Date.now();
    this.deliver();
  }

  /** From the hub: a live event for one of our routes. */
  hear(event: LiveEvent, cursor: Cursor) {
    if (this.closed || !this.concerns(event)) return;
    // Not queued behind events in replay or awaiting permissions: access is gone now.
    if (event.topic === ACCOUNT_TOPIC) {
      const change = accountEventOf(event);
      if (affects(change, this.options.viewerId, this.options.sessionId ?? null)) this.endAccess(change);
      return;
    }
    // Only events for this subscriber count. Past the bound it is slow only if it also stopped
    // reading (a bulk commit arrives all at once, even for a fast reader); past ten times the
    // bound it ends regardless, so memory stays bounded.
    const queued = this.raw.length + this.out.length;
    const { maxQueue } = this.options;
    if (queued >= maxQueue) {
      if (queued >= 10 * maxQueue || this.isStalled()) return this.overflow();
      // Over the bound but still reading: look again later even if no further event comes.
      this.slowCheck ??= setTimeout(() => this.checkSlow(), SLOW_AFTER_MS);
    }
    if (this.busy) this.raw.push(event);
    else if (isAfter(cursor, this.floor)) this.continueWith(this.admitOrMember(event));
  }

  private consumerReady() {
    return this.sink ? this.sink.ready() : this.pull !== null;
  }

  private isStalled() {
    return !this.consumerReady() && Date.now() - this.lastProgressAt > SLOW_AFTER_MS;
  }

  private checkSlow() {
    this.slowCheck = undefined;
    if (this.closed || this.raw.length + this.out.length < this.options.maxQueue) return;
    if (this.isStalled()) return this.overflow();
    this.slowCheck = setTimeout(() => this.checkSlow(), SLOW_AFTER_MS);
  }

  private unlisten() {
    if (!this.listening) return;
    this.listening = false;
    this.options.metrics?.subscriptions.dec({ topic: this.options.policy.name });
    this.options.hub.unlisten(this.routes(), this);
  }

  private overflow() {
    const { slowSocket, metrics } = this.options;
    if (!slowSocket) return this.fail(slowConsumerError());
    metrics?.slowConsumers.inc();
    this.close();
    slowSocket.closeSlowSocket();
  }

  /** Its token expired (deadlines.ts). */
  expire() {
    if (this.closed) return;
    this.fail(
      userError('UNAUTHENTICATED', 'Token expired: renew it and resubscribe with `after`', { reason: 'token expired' }),
    );
  }

  /** The session ended or the role changed: SSE and HTTP streams end with the reason (sockets are closed 4403). */
  private endAccess(event: AccountEvent) {
    this.fail(
      userError('UNAUTHENTICATED', closeReasons[event.reason], {
        reason: event.reason === 'role-changed' ? 'role changed' : 'session ended',
      }),
    );
  }

  private fail(error: Error) {
    this.forgetExpiry();
    clearTimeout(this.slowCheck);
    this.raw.length = 0;
    this.out.length = 0;
    this.out.push({ message: { kind: 'error', error }, key: null, readyAt: 0 });
    this.closed = true;
    this.unlisten();
    this.deliver();
  }

  private emit(message: LiveMessage) {
    const { coalesceMs } = this.options;
    if (coalesceMs === undefined && this.out.length === 0 && this.consumerReady()) return this.hand(message);
    const key = message.kind === 'event' && coalesceMs !== undefined ? message.event.courseId : null;
    const tail = this.out.at(-1);
    if (key !== null && tail && tail.key === key && tail.message.kind === 'event' && message.kind === 'event') {
      tail.message = { ...tail.message, event: message.event, batch: [...tail.message.batch, message.event] };
      return;
    }
    this.out.push({ message, key, readyAt: key !== null ? Date.now() + coalesceMs! : 0 });
    this.deliver();
  }

  /** Hands ready messages to the consumer: one per `next()` when pulled, as many as the sink takes when pushed. */
  private deliver() {
    while (this.consumerReady()) {
      const head = this.out[0];
      if (!head) {
        if (this.closed) this.end();
        return;
      }
      const wait = head.readyAt ? head.readyAt - Date.now() : 0;
      if (wait > 0) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.deliver(), wait);
        return;
      }
      this.out.shift();
      // Optimised `shift()` keeps an emptied array's storage; `length = 0` frees it (it would stay for the stream's life).
      if (this.out.length === 0) this.out.length = 0;
      this.hand(head.message);
    }
  }

  private hand(message: LiveMessage) {
    this.lastProgressAt = Date.now();
    const { metrics } = this.options;
    if (metrics) {
      if (message.kind === 'event') metrics.countDelivery(message.topic);
      else if (message.kind === 'resync') metrics.resyncs.inc();
      else metrics.slowConsumers.inc();
    }
    if (this.sink) this.sink.take(message);
    else this.finish({ value: message, done: false });
  }

  private finish(result: IteratorResult<LiveMessage>) {
    const resolve = this.pull;
    this.pull = null;
    resolve?.(result);
  }

  private end() {
    if (!this.sink) return this.finish({ value: undefined, done: true });
    if (this.ended) return;
    this.ended = true;
    this.sink.end();
  }

  /** The cheap, synchronous part of deciding whether an event is for this subscriber. */
  private concerns(event: LiveEvent): boolean {
    const { options } = this;
    if (event.topic === MEMBERSHIP_TOPIC || event.topic === ACCOUNT_TOPIC)
      return event.audienceUserId === options.viewerId;
    return belongsTo(options.policy, event, options.courseId) && (!options.narrow || options.narrow(event));
  }

  /** Sync whenever it can be. */
  private consider(event: LiveEvent): Promise<void> | void {
    if (this.concerns(event)) return this.admitOrMember(event);
  }

  private admitOrMember(event: LiveEvent): Promise<void> | void {
    if (event.topic === MEMBERSHIP_TOPIC) {
      this.options.access.reset();
      return;
    }
    const verdict = authorize(this.options.policy, event, this.options.viewerId, this.options.access);
    if (verdict instanceof Promise) return verdict.then((v) => this.admit(event, v));
    this.admit(event, verdict);
  }

  private admit(event: LiveEvent, { visible, shareScope }: Verdict) {
    if (visible && !this.closed)
      this.emit({ kind: 'event', topic: this.options.policy.name, event, batch: [event], shareScope });
  }

  /** A permission load is pending: later events wait for it, so they still leave in cursor order. */
  private continueWith(pending: Promise<void> | void) {
    if (!pending) return;
    this.busy = true;
    void this.drain(pending);
  }

  private async drain(pending?: Promise<void>) {
    try {
      if (pending) await pending;
      for (let event = this.raw.shift(); event && !this.closed; event = this.raw.shift()) {
        if (!isAfter(cursorOf(event), this.floor)) continue;
        const next = this.consider(event);
        if (next) await next;
      }
      if (this.raw.length === 0) this.raw.length = 0; // frees its storage, as in `deliver`
      this.busy = false;
    } catch (error) {
      if (!this.closed) this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Replays (after, seam]; false when it cannot (RESYNC sent instead: live continues after the seam). */
  private async replay(after: Cursor): Promise<boolean> {
    const { reader, policy, hub } = this.options;
    const { replayFilter } = this;
    const { seam } = this;
    const topics = [...policy.sources, MEMBERSHIP_TOPIC];
    // The hub dispatched everything up to the seam; if it still holds all of it after `after`, the
    // replay is those very events: no outbox read, and subscribers resuming together (a reconnect
    // storm) share each event's execution and frame as live subscribers do.
    const recent = hub.recent();
    if (recent?.covers(after) && !isAfter(after, seam)) {
      for (const event of recent.after(after, keptBy({ ...replayFilter!, topics }), seam).events) {
        if (this.closed) return true;
        const pending = this.consider(event);
        if (pending) await pending;
      }
      return true;
    }
    if (!(await reader.canReplayFrom(after))) {
      this.emit({ kind: 'resync', cursor: formatCursor(seam), occurredAt: new Date().toISOString() });
      return false;
    }
    let from = after;
    for (;;) {
      const rows = await reader.readAfter(from, REPLAY_PAGE, { ...replayFilter!, topics, upTo: seam });
      for (const row of rows) {
        if (this.closed) return true;
        const pending = this.consider(decodeOutboxRow(row));
        if (pending) await pending;
      }
      if (rows.length < REPLAY_PAGE) return true;
      from = parseCursor(decodeOutboxRow(rows.at(-1)!).cursor);
    }
  }

  private async start() {
    const { after } = this.options;
    try {
      if (after) this.sink?.replaying?.(true);
      if (after && (await this.replay(after))) this.floor = maxCursor(after, this.seam);
    } catch (error) {
      if (!this.closed) this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    } finally {
      this.replayFilter = null;
      if (after) this.sink?.replaying?.(false);
    }
    await this.drain();
  }

  private close() {
    if (this.closed && this.out.length === 0) return;
    this.closed = true;
    this.out.length = 0;
    this.raw.length = 0;
    clearTimeout(this.timer);
    this.forgetExpiry();
    clearTimeout(this.slowCheck);
    this.unlisten();
    this.finish({ value: undefined, done: true });
    if (this.sink) this.end();
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  next() {
    this.begin();
    this.lastProgressAt = Date.now();
    return new Promise<IteratorResult<LiveMessage>>((resolve) => {
      this.pull = resolve;
      this.deliver();
    });
  }

  async return(): Promise<IteratorResult<LiveMessage>> {
    this.close();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<LiveMessage>> {
    this.close();
    throw error;
  }
}
