import { userError } from '../errors';
import { type Cursor, cursorOf, isAfter, maxCursor, ORIGIN, parseCursor } from './cursor';
import { decodeOutboxRow, type LiveEvent, type Topic } from './event';
import type { Hub, Route } from './hub';
import type { OutboxReader, ReadFilter } from './outbox';

/** What a live subscription yields: events (a coalesced burst keeps all of them), a resync signal, or a final error. */
export type LiveMessage =
  | { kind: 'event'; event: LiveEvent; batch: LiveEvent[]; shareScope: string | null }
  | { kind: 'resync'; cursor: string; occurredAt: string }
  | { kind: 'error'; error: Error };

type Verdict = { visible: boolean; shareScope: string | null };

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
};

export type LiveStream = AsyncIterableIterator<LiveMessage> & {
  /** From now on, messages go to `sink` as soon as it is ready instead of waiting for `next()`. */
  pushTo(sink: StreamSink): void;
  /** The sink can take messages again. */
  resume(): void;
};

export type StreamOptions = {
  hub: Hub;
  reader: OutboxReader;
  topics: Topic[];
  /** What to hear from the hub (the topics, narrowed to a course or to the viewer where possible). */
  routes: Route[];
  after: Cursor | null;
  /** Narrows the replay query; authorization still decides event by event. */
  replayFilter: Omit<ReadFilter, 'topics' | 'upTo'>;
  /** Argument filters (course, poll): cheap and synchronous. */
  match: (event: LiveEvent) => boolean;
  /** Whether the viewer may see this event now, and with whom its result may be shared (sync when permissions are cached). */
  authorize: (event: LiveEvent) => Verdict | Promise<Verdict>;
  /** A membership change for this viewer: forget cached permissions before the next event. */
  viewerId: string;
  onMembershipChange: () => void;
  maxQueue: number;
  /** The stream ends with a final UNAUTHENTICATED error then (the token it was opened with expires). */
  endsAt?: Date | null;
  /** Called instead of sending a final SLOW_CONSUMER error, when the transport can do better. */
  onOverflow?: () => void;
  /** Events with the same key that arrive within the window leave as one message. */
  coalesce?: { windowMs: number; key: (event: LiveEvent) => string | null };
  /** Observes what leaves the stream (metrics). */
  observe?: { opened(): void; delivered(message: LiveMessage): void; closed(): void };
};

const REPLAY_PAGE = 500;
/** A consumer over its bound that has taken no message for this long (and is not waiting for one) is slow. */
const SLOW_AFTER_MS = 1000;

export function slowConsumerError() {
  return userError('BAD_USER_INPUT', 'Too many undelivered events: resubscribe with `after` set to the last cursor you received', {
    code: 'SLOW_CONSUMER',
  });
}

/**
 * A live subscription: replays from the outbox up to the hub's seam, then continues with live
 * events after it — no gap, no duplicate. Bounded: a consumer that falls `maxQueue` events behind
 * gets a final SLOW_CONSUMER error and resumes from its cursor.
 *
 * Live events are handled synchronously as the hub hands them over whenever nothing is pending
 * (replay done, permissions cached): this runs for every subscriber on every event.
 */
export function openStream(options: StreamOptions): LiveStream {
  const raw: LiveEvent[] = [];
  const out: { message: LiveMessage; key: string | null; readyAt: number }[] = [];
  let closed = false;
  let ended = false;
  let pull: ((result: IteratorResult<LiveMessage>) => void) | null = null;
  let sink: StreamSink | null = null;
  /** Replaying, or waiting for a permission load: live events wait in `raw`, in order. */
  let busy = true;
  let floor: Cursor = options.after ?? ORIGIN;
  let timer: NodeJS.Timeout | undefined;
  let expiry: NodeJS.Timeout | undefined;
  let lastProgressAt = Date.now();
  let slowCheck: NodeJS.Timeout | undefined;
  const consumerReady = () => (sink ? sink.ready() : pull !== null);
  const isStalled = () => !consumerReady() && Date.now() - lastProgressAt > SLOW_AFTER_MS;
  function checkSlow() {
    slowCheck = undefined;
    if (closed || raw.length + out.length < options.maxQueue) return;
    if (isStalled()) return overflow();
    slowCheck = setTimeout(checkSlow, SLOW_AFTER_MS);
  }

  options.observe?.opened();
  let observedClose = false;
  const unlistenOnce = () => {
    if (!observedClose) options.observe?.closed();
    observedClose = true;
    stopListening();
  };
  const { seam, stop: stopListening } = options.hub.listen([...options.routes, { topic: 'membership', userId: options.viewerId }], (event, cursor) => {
    if (closed || !concerns(event)) return;
    // Only events for this subscriber count. Past the bound it is slow only if it also stopped
    // reading (a bulk commit arrives all at once, even for a fast reader); past ten times the
    // bound it ends regardless, so memory stays bounded.
    const queued = raw.length + out.length;
    if (queued >= options.maxQueue) {
      if (queued >= 10 * options.maxQueue || isStalled()) return overflow();
      // Over the bound but still reading: look again later even if no further event comes.
      slowCheck ??= setTimeout(checkSlow, SLOW_AFTER_MS);
    }
    if (busy) raw.push(event);
    else if (isAfter(cursor, floor)) continueWith(admitOrMember(event));
  });

  function overflow() {
    if (!options.onOverflow) return fail(slowConsumerError());
    options.observe?.delivered({ kind: 'error', error: slowConsumerError() });
    close();
    options.onOverflow();
  }

  function fail(error: Error) {
    clearTimeout(expiry);
    clearTimeout(slowCheck);
    raw.length = 0;
    out.length = 0;
    out.push({ message: { kind: 'error', error }, key: null, readyAt: 0 });
    closed = true;
    unlistenOnce();
    deliver();
  }

  function emit(message: LiveMessage) {
    if (!options.coalesce && out.length === 0 && consumerReady()) return hand(message);
    const key = message.kind === 'event' && options.coalesce ? options.coalesce.key(message.event) : null;
    const tail = out.at(-1);
    if (key !== null && tail && tail.key === key && tail.message.kind === 'event' && message.kind === 'event') {
      tail.message = { ...tail.message, event: message.event, batch: [...tail.message.batch, message.event] };
      return;
    }
    out.push({ message, key, readyAt: key !== null ? Date.now() + options.coalesce!.windowMs : 0 });
    deliver();
  }

  /** Hands ready messages to the consumer: one per `next()` when pulled, as many as the sink takes when pushed. */
  function deliver() {
    while (consumerReady()) {
      const head = out[0];
      if (!head) {
        if (closed) end();
        return;
      }
      const wait = head.readyAt ? head.readyAt - Date.now() : 0;
      if (wait > 0) {
        clearTimeout(timer);
        timer = setTimeout(deliver, wait);
        return;
      }
      out.shift();
      hand(head.message);
    }
  }

  function hand(message: LiveMessage) {
    lastProgressAt = Date.now();
    options.observe?.delivered(message);
    if (sink) sink.take(message);
    else finish({ value: message, done: false });
  }

  function finish(result: IteratorResult<LiveMessage>) {
    const resolve = pull;
    pull = null;
    resolve?.(result);
  }

  function end() {
    if (!sink) return finish({ value: undefined, done: true });
    if (ended) return;
    ended = true;
    sink.end();
  }

  /** The cheap, synchronous part of deciding whether an event is for this subscriber. */
  function concerns(event: LiveEvent): boolean {
    if (event.topic === 'membership') return event.audienceUserId === options.viewerId;
    return options.topics.includes(event.topic) && options.match(event);
  }

  /** Sync whenever it can be. */
  function consider(event: LiveEvent): Promise<void> | void {
    if (concerns(event)) return admitOrMember(event);
  }

  function admitOrMember(event: LiveEvent): Promise<void> | void {
    if (event.topic === 'membership') {
      options.onMembershipChange();
      return;
    }
    const verdict = options.authorize(event);
    if (verdict instanceof Promise) return verdict.then((v) => admit(event, v));
    admit(event, verdict);
  }

  function admit(event: LiveEvent, { visible, shareScope }: Verdict) {
    if (visible && !closed) emit({ kind: 'event', event, batch: [event], shareScope });
  }

  /** A permission load is pending: later events wait for it, so they still leave in cursor order. */
  function continueWith(pending: Promise<void> | void) {
    if (!pending) return;
    busy = true;
    void drain(pending);
  }

  async function drain(pending?: Promise<void>) {
    try {
      if (pending) await pending;
      for (let event = raw.shift(); event && !closed; event = raw.shift()) {
        if (!isAfter(cursorOf(event), floor)) continue;
        const next = consider(event);
        if (next) await next;
      }
      busy = false;
    } catch (error) {
      if (!closed) fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Replays (after, seam]; false when it cannot (RESYNC sent instead: live continues after the seam). */
  async function replay(after: Cursor): Promise<boolean> {
    if (!(await options.reader.canReplayFrom(after))) {
      emit({ kind: 'resync', cursor: `${seam.xid}.${seam.id}`, occurredAt: new Date().toISOString() });
      return false;
    }
    let from = after;
    for (;;) {
      const rows = await options.reader.readAfter(from, REPLAY_PAGE, { ...options.replayFilter, topics: [...options.topics, 'membership'], upTo: seam });
      for (const row of rows) {
        if (closed) return true;
        await consider(decodeOutboxRow(row));
      }
      if (rows.length < REPLAY_PAGE) return true;
      from = parseCursor(decodeOutboxRow(rows.at(-1)!).cursor);
    }
  }

  async function start() {
    try {
      floor = seam;
      if (options.after && (await replay(options.after))) floor = maxCursor(options.after, seam);
    } catch (error) {
      if (!closed) fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    await drain();
  }
  void start();

  // Node timers hold at most 2^31-1 ms; tokens live far shorter.
  expiry = options.endsAt
    ? setTimeout(() => fail(userError('UNAUTHENTICATED', 'Token expired: renew it and resubscribe with `after`', { reason: 'token expired' })), Math.min(Math.max(0, options.endsAt.getTime() - Date.now()), 2 ** 31 - 1))
    : undefined;

  function close() {
    if (closed && out.length === 0) return;
    closed = true;
    out.length = 0;
    raw.length = 0;
    clearTimeout(timer);
    clearTimeout(expiry);
    clearTimeout(slowCheck);
    unlistenOnce();
    finish({ value: undefined, done: true });
    if (sink) end();
  }

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      lastProgressAt = Date.now();
      return new Promise<IteratorResult<LiveMessage>>((resolve) => {
        pull = resolve;
        deliver();
      });
    },
    async return() {
      close();
      return { value: undefined, done: true };
    },
    async throw(error) {
      close();
      throw error;
    },
    pushTo(target) {
      sink = target;
      deliver();
    },
    resume() {
      lastProgressAt = Date.now();
      deliver();
    },
  };
}
