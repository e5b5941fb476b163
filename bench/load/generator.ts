import { backoffDelay } from '../../app/lib/live/backoff';
import { type Histogram, monoMicros, newHistogram, record } from '../lib/hist';
import type { GeneratorCommand, GeneratorReply, SubscriberSpec, SubscriptionSpec } from './protocol';
import { readCount, WsClient } from './ws-frames';

/**
 * A load-generator worker: holds many graphql-transport-ws sockets, each with one subscription or
 * several (multiplexed: each its own operation id, `"<index>.<generation>"`, so a frame is counted
 * for the subscription it names), and measures every event against the time the writer
 * *scheduled* it (the row's note carries `<seq>:<scheduled µs on CLOCK_MONOTONIC>`), so a slow
 * server cannot hide its queueing (open loop). Counts every event per subscription to find losses
 * and duplicates. A subscription ended with SLOW_CONSUMER resubscribes `after` its last cursor, as
 * a real client would; a dropped socket reconnects to the next URL of its list and resumes each of
 * its subscriptions the same way.
 */
type Conn = {
  token: string;
  /** Where its sockets come from (undefined: the kernel picks). */
  localAddress: string | undefined;
  socket: WsClient | null;
  /** Its subscriptions; a frame's operation id starts with the index into this. */
  subs: Sub[];
  acked: boolean;
  closed: boolean;
  /** Index into the URL list of the instance it talks to (or tries next). */
  urlIndex: number;
  /** Failed attempts since the socket dropped (the backoff's exponent); -1 while connected. */
  attempt: number;
};

type Sub = {
  conn: Conn;
  spec: SubscriptionSpec;
  /** Its current operation id, `"<index in conn.subs>.<generation>"` (a new generation per resubscribe). */
  opId: string;
  generation: number;
  cursor: string | null;
  /** The last cursor's bytes (copied out of the read buffer; made a string only to resubscribe). */
  cursorBytes: Buffer | null;
  cursorLength: number;
  counts: Uint8Array;
  /** µs when it resubscribed after its socket dropped, and when it had caught up since (0 = not yet). */
  resubscribedAt: number;
  caughtUpAt: number;
  /** µs of the last receipt, since it resubscribed, of an event written before it did (the backlog). */
  backlogAt: number;
  /** Phase index of its course's first event it has not received (everything before it has come). */
  next: number;
};

const conns: Conn[] = [];
const subs: Sub[] = [];
/** Close codes a graphql-ws client retries on: server restarting (1012), try again later (1013). */
const RETRYABLE = new Set([1012, 1013]);
/** Bounded: with the web backoff, 12 attempts are ~4 minutes. */
const MAX_ATTEMPTS = 12;
let config: Extract<GeneratorCommand, { type: 'connect' }> | null = null;
let phase = { start: 0, end: 0 };
let hist: Histogram = newHistogram();
let stats = freshStats();
let bySecond = new Map<number, Histogram>();
let thisSecond = -1;
let thisSecondHist: Histogram | null = null;

function freshStats() {
  return {
    received: 0,
    outOfPhase: 0,
    slowConsumer: 0,
    resumed: 0,
    reconnects: 0,
    errors: 0,
    closes: 0,
    firstAt: 0,
    lastAt: 0,
    otherErrors: [] as string[],
    closeCodes: {} as Record<string, number>,
  };
}

const send = (reply: GeneratorReply) => process.send!(reply);

function subscribe(sub: Sub) {
  const cfg = config!;
  sub.generation += 1;
  sub.opId = `${sub.conn.subs.indexOf(sub)}.${sub.generation}`;
  const variables: Record<string, unknown> = { c: sub.spec.courseId };
  const cursor = sub.cursorLength ? sub.cursorBytes!.toString('latin1', 0, sub.cursorLength) : sub.cursor;
  if (cfg.resumeWithCursor && cursor) variables.after = cursor;
  sub.conn.socket!.send(JSON.stringify({ id: sub.opId, type: 'subscribe', payload: { query: cfg.query, variables } }));
}

const NEXT = Buffer.from('"type":"next"');
const OPERATION = Buffer.from('"id":"');
const NOTE = Buffer.from('"note":"');
const CURSOR = Buffer.from('"cursor":"');
const QUOTE = 0x22;
const COLON = 0x3a;
/** Cursors up to this long are kept as bytes (all of the bench's: "<position>.<id>"). */
const CURSOR_BYTES = 64;

/**
 * Where `needle` starts in `data[from, end)`, or -1. A loop in JavaScript: `Buffer#indexOf` is a
 * call into C++ (~0.3 µs each, most of a frame's parsing) and would search on past the frame.
 */
function find(data: Buffer, needle: Buffer, from: number, end: number) {
  const first = needle[0];
  const last = end - needle.length;
  outer: for (let i = from; i <= last; i++) {
    if (data[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The last place `needle` starts in `data[from, end)`, or -1 (the note is near a frame's end). */
function findLast(data: Buffer, needle: Buffer, from: number, end: number) {
  const first = needle[0];
  outer: for (let i = end - needle.length; i >= from; i--) {
    if (data[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

let digitsEnd = 0;
/** The decimal digits at `data[at…]` as a number (NaN if none); `digitsEnd` is where they stop. */
function digits(data: Buffer, at: number, end: number) {
  let value = 0;
  let i = at;
  for (; i < end; i++) {
    const d = data[i] - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  digitsEnd = i;
  return i > at ? value : Number.NaN;
}

/**
 * The subscription a `next` frame is for: the index its operation id starts with, read where the
 * id is (before `"type"`, as every server here writes it; a grade's own `"id"` comes later, in the
 * payload). A socket with one subscription needs no id: any generation of it is that one.
 */
function subOf(conn: Conn, data: Buffer, start: number, next: number): Sub | undefined {
  if (conn.subs.length === 1) return conn.subs[0];
  const at = find(data, OPERATION, start, next);
  return at < 0 ? undefined : conn.subs[digits(data, at + OPERATION.length, next)];
}

/** The subscription an operation id (as a string) names, if that is its current operation. */
function currentSub(conn: Conn, id: string | undefined): Sub | undefined {
  const sub = id ? conn.subs[Number.parseInt(id, 10)] : undefined;
  return sub?.opId === id ? sub : undefined;
}

/** Receipt time: one clock reading per socket read (its frames all arrived together). */
let clockRead = -1;
let clockNow = 0;

/**
 * The hot path works on the frame's bytes where they were read (no copy, no UTF-8 decode, no
 * JSON.parse, no string): one generator core must keep up with over 100,000 frames a second, or
 * it, not the server, sets the ceiling.
 */
function onMessage(conn: Conn, data: Buffer, start: number, end: number) {
  const next = find(data, NEXT, start, end);
  if (next >= 0) {
    const sub = subOf(conn, data, start, next);
    if (!sub) {
      stats.errors += 1;
      if (stats.otherErrors.length < 5)
        stats.otherErrors.push(`next for no subscription: ${data.toString('utf8', start, Math.min(end, start + 40))}`);
      return;
    }
    const reads = readCount();
    if (reads !== clockRead) (clockRead = reads), (clockNow = monoMicros());
    const now = clockNow;
    // A grade's note (or a chat message's, aliased) is the one "note" key, after the cursor and near the end.
    const at = findLast(data, NOTE, next, end);
    if (at < 0) return;
    // "<seq>:<scheduled µs>"; anything else is read as the strings it is (NaN: counted, matched to nothing).
    let seq = digits(data, at + NOTE.length, end);
    let scheduled = data[digitsEnd] === COLON ? digits(data, digitsEnd + 1, end) : Number.NaN;
    if (Number.isNaN(scheduled) || data[digitsEnd] !== QUOTE) {
      const colon = data.indexOf(COLON, at + NOTE.length);
      seq = Number(data.toString('latin1', at + NOTE.length, colon));
      scheduled = Number(data.toString('latin1', colon + 1, data.indexOf(QUOTE, colon + 1)));
    }
    if (config!.resumeWithCursor) {
      const c = find(data, CURSOR, next, end);
      if (c >= 0) {
        const from = c + CURSOR.length;
        let to = from;
        while (to < end && data[to] !== QUOTE) to++;
        if (to - from <= CURSOR_BYTES) {
          const bytes = (sub.cursorBytes ??= Buffer.allocUnsafe(CURSOR_BYTES));
          for (let k = from; k < to; k++) bytes[k - from] = data[k];
          sub.cursorLength = to - from;
        } else {
          sub.cursor = data.toString('latin1', from, to);
          sub.cursorLength = 0;
        }
      }
    }
    if (seq < phase.start || seq >= phase.end) {
      stats.outOfPhase += 1;
      return;
    }
    const i = seq - phase.start;
    if (sub.counts[i] < 255) sub.counts[i] += 1;
    stats.received += 1;
    if (!stats.firstAt) stats.firstAt = now;
    stats.lastAt = now;
    record(hist, now - scheduled);
    // Events come in schedule order, mostly: keep the current second's histogram at hand.
    const second = Math.floor(scheduled / 1e6);
    if (second !== thisSecond) {
      thisSecond = second;
      let h = bySecond.get(second);
      if (!h) bySecond.set(second, (h = newHistogram()));
      thisSecondHist = h;
    }
    record(thisSecondHist!, now - scheduled);
    if (sub.resubscribedAt && !sub.caughtUpAt) {
      if (scheduled < sub.resubscribedAt) sub.backlogAt = now;
      const C = config!.courses;
      while (sub.next < sub.counts.length && sub.counts[sub.next] > 0) sub.next += C;
      // Once it holds every event of its course, gap-free, up to one written after it came back (or
      // up to the phase's last, if it came back after the writing ended), it had caught up when the
      // last of the backlog came (or when it resubscribed, if nothing was missing).
      if (i < sub.next && (scheduled >= sub.resubscribedAt || sub.next >= sub.counts.length))
        sub.caughtUpAt = Math.max(sub.resubscribedAt, sub.backlogAt);
    }
    return;
  }
  const text = data.toString('utf8', start, end);
  const msg = JSON.parse(text) as { type: string; id?: string; payload?: any };
  const sub = currentSub(conn, msg.id);
  if (msg.type === 'connection_ack') {
    conn.acked = true;
    const reconnected = conn.attempt >= 0;
    conn.attempt = -1;
    for (const s of conn.subs) {
      if (reconnected) {
        s.resubscribedAt = monoMicros();
        s.caughtUpAt = s.backlogAt = 0;
      }
      subscribe(s);
    }
  } else if (msg.type === 'ping') {
    conn.socket?.send('{"type":"pong"}');
  } else if (msg.type === 'error' && sub) {
    const errors = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
    const slow = errors.some((e: any) => e?.extensions?.code === 'SLOW_CONSUMER');
    if (slow) stats.slowConsumer += 1;
    else {
      stats.errors += 1;
      if (stats.otherErrors.length < 5) stats.otherErrors.push(JSON.stringify(errors).slice(0, 300));
    }
    // A real client resumes from its cursor (Homeroom; without cursors it can only start over).
    // Any other error is the harness's or the server's bug: counted, not retried.
    if (slow && !conn.closed) {
      stats.resumed += 1;
      subscribe(sub);
    }
  } else if (msg.type === 'complete' && sub && !conn.closed) {
    stats.resumed += 1;
    subscribe(sub);
  }
}

function open(conn: Conn): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (!settled) (settled = true), resolve(ok);
    };
    const socket: WsClient = new WsClient(
      config!.urls[conn.urlIndex],
      'graphql-transport-ws',
      { localAddress: conn.localAddress },
      {
        open: () =>
          socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${conn.token}` } })),
        message: (data, start, end) => {
          onMessage(conn, data, start, end);
          if (conn.acked) done(true);
        },
        error: () => done(false),
        close: (code, reason) => onClose(conn, socket, code, reason, done),
      },
    );
    conn.socket = socket;
  });
}

function onClose(conn: Conn, socket: WsClient, code: number, reason: string, done: (ok: boolean) => void) {
  const wasAcked = conn.acked;
  conn.acked = false;
  done(false);
  if (conn.closed || socket !== conn.socket) return;
  stats.closes += 1;
  stats.closeCodes[code] = (stats.closeCodes[code] ?? 0) + 1;
  if (stats.otherErrors.length < 5 && !RETRYABLE.has(code)) stats.otherErrors.push(`close ${code} ${String(reason)}`);
  // Like a real client: reconnect after a jittered pause, to the next instance it knows, and
  // resume from the last cursor it applied (retryable codes and dropped connections only, and
  // attempts that failed while reconnecting; never a refusal).
  const reconnecting = conn.attempt >= 0;
  if ((wasAcked && (RETRYABLE.has(code) || code === 1006)) || (reconnecting && !wasAcked)) {
    conn.attempt += 1;
    if (conn.attempt > MAX_ATTEMPTS) return;
    stats.reconnects += 1;
    conn.urlIndex = (conn.urlIndex + 1) % config!.urls.length;
    const delay = config!.backoff === 'web' ? backoffDelay(conn.attempt - 1) : 100 + Math.random() * 400;
    setTimeout(() => void open(conn), delay);
  }
}

async function connectAll(specs: SubscriberSpec[], concurrency: number, localAddresses: string[] = []) {
  const started = Date.now();
  const first = conns.length;
  for (const spec of specs) {
    const conn: Conn = {
      token: spec.token,
      localAddress: localAddresses.length ? localAddresses[conns.length % localAddresses.length] : undefined,
      socket: null,
      subs: [],
      acked: false,
      closed: false,
      urlIndex: 0,
      attempt: -1,
    };
    for (const one of [spec, ...(spec.more ?? [])]) {
      const sub: Sub = {
        conn,
        spec: { courseId: one.courseId, courseIndex: one.courseIndex },
        opId: '',
        generation: 0,
        cursor: null,
        cursorBytes: null,
        cursorLength: 0,
        counts: new Uint8Array(0),
        resubscribedAt: 0,
        caughtUpAt: 0,
        backlogAt: 0,
        next: 0,
      };
      conn.subs.push(sub);
      subs.push(sub);
    }
    conns.push(conn);
  }
  let next = first;
  let failed = 0;
  let subscriptions = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < conns.length) {
        const conn = conns[next++];
        if (await open(conn)) subscriptions += conn.subs.length;
        else failed += 1;
      }
    }),
  );
  return { connected: conns.length - first - failed, subscriptions, failed, ms: Date.now() - started };
}

/** Per subscription: events of its course that never came (lost) and extra copies (duplicated). */
function account(courseOfSeq: number[], sent: number) {
  let expected = 0;
  let lost = 0;
  let duplicated = 0;
  let distinct = 0;
  for (const sub of subs) {
    for (let i = 0; i < sent; i++) {
      if (courseOfSeq[i] !== sub.spec.courseIndex) continue;
      expected += 1;
      const n = sub.counts[i];
      if (n === 0) lost += 1;
      else {
        distinct += 1;
        duplicated += n - 1;
      }
    }
  }
  return { expected, lost, duplicated, distinct };
}

process.on('message', async (command: GeneratorCommand) => {
  switch (command.type) {
    case 'connect': {
      config = command;
      send({
        type: 'connected',
        ...(await connectAll(command.subscribers, command.concurrency, command.localAddresses)),
      });
      break;
    }
    case 'phase': {
      phase = { start: command.start, end: command.end };
      const C = config?.courses ?? 1;
      for (const sub of subs) {
        sub.counts = new Uint8Array(command.end - command.start);
        sub.next = (((sub.spec.courseIndex - command.start) % C) + C) % C;
        sub.resubscribedAt = sub.caughtUpAt = sub.backlogAt = 0;
      }
      hist = newHistogram();
      bySecond = new Map();
      thisSecond = -1;
      thisSecondHist = null;
      stats = freshStats();
      send({ type: 'phase-ready' });
      break;
    }
    case 'progress':
      send({
        type: 'progress',
        received: stats.received,
        open: conns.filter((c) => c.socket?.isOpen).length,
      });
      break;
    case 'report':
      send({
        type: 'report',
        hist,
        ...stats,
        ...account(command.courseOfSeq, command.sent),
        histBySecond: [...bySecond],
        resubscribedAt: subs.filter((s) => s.resubscribedAt).map((s) => s.resubscribedAt),
        caughtUpAt: subs.filter((s) => s.resubscribedAt).map((s) => s.caughtUpAt),
      });
      break;
    case 'close': {
      for (const conn of conns) {
        conn.closed = true;
        conn.socket?.terminate();
      }
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
    }
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'hello' });
