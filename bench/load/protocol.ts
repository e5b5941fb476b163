import type { Histogram } from '../lib/hist';

/** IPC between the harness and its load-generator workers. */

/** One subscription: `gradeChanged` of this course (its index: which events it must get). */
export type SubscriptionSpec = { courseId: string; courseIndex: number };

/**
 * One socket: its user's token and its subscription, and with `more` further subscriptions on the
 * same socket (a web client's several live views multiplexed on one graphql-ws connection, each
 * its own operation id; scenario (j) past the open-file limit).
 */
export type SubscriberSpec = SubscriptionSpec & { token: string; more?: SubscriptionSpec[] };

export type GeneratorCommand =
  | {
      type: 'connect';
      /** The first is the subscriber's instance; a dropped socket reconnects to the next one in turn. */
      urls: string[];
      /** 'web': the web client's backoff (app/lib/live/backoff.ts); 'short': 100–500 ms. */
      backoff: 'web' | 'short';
      /** The writer's course of event seq is seq % courses (to see when a resumed subscriber has caught up). */
      courses: number;
      query: string;
      resumeWithCursor: boolean;
      subscribers: SubscriberSpec[];
      concurrency: number;
      /**
       * Loopback source addresses (127.0.0.x), taken in turn: one address has ~28,000 ephemeral
       * ports towards one server port, so 100,000 sockets need several. Default: the kernel's choice.
       */
      localAddresses?: string[];
    }
  /** Count only events with seq in [start, end) from now on; reset latency and counters. */
  | { type: 'phase'; start: number; end: number }
  | { type: 'progress' }
  /** courseOfSeq[i]: course index of event start+i; sent: how many events were committed. */
  | { type: 'report'; courseOfSeq: number[]; sent: number }
  | { type: 'close' };

export type GeneratorReport = {
  hist: Histogram;
  received: number;
  outOfPhase: number;
  slowConsumer: number;
  resumed: number;
  reconnects: number;
  closeCodes: Record<string, number>;
  errors: number;
  closes: number;
  firstAt: number;
  lastAt: number;
  otherErrors: string[];
  expected: number;
  lost: number;
  duplicated: number;
  distinct: number;
  /** Latency by the second (CLOCK_MONOTONIC) each event was scheduled in: before, during and after a storm. */
  histBySecond: [number, Histogram][];
  /** Per subscriber whose socket dropped: when it resubscribed and when it had caught up (µs, 0 = never). */
  resubscribedAt: number[];
  caughtUpAt: number[];
};

export type GeneratorReply =
  | { type: 'hello' }
  /** Sockets acknowledged, and the subscriptions they carry (each subscribe sent right after its socket's ack). */
  | { type: 'connected'; connected: number; subscriptions: number; failed: number; ms: number }
  | { type: 'phase-ready' }
  | { type: 'progress'; received: number; open: number }
  | ({ type: 'report' } & GeneratorReport)
  | { type: 'closed' };

/** IPC between the harness and its polling-crowd workers (load/poller.ts). */
export type PollerSpec = { token: string; courseIndex: number };

export type PollerCommand =
  | { type: 'start'; url: string; query: string; pollers: PollerSpec[]; intervalMs: number }
  /** Count only events with seq in [start, end) from now on; reset latency and counters. */
  | { type: 'phase'; start: number; end: number }
  | { type: 'report'; courseOfSeq: number[]; sent: number }
  | { type: 'close' };

export type PollerReport = {
  hist: Histogram;
  polls: number;
  errors: number;
  events: number;
  outOfPhase: number;
  hasMore: number;
  otherErrors: string[];
  expected: number;
  lost: number;
  duplicated: number;
};

export type PollerReply =
  | { type: 'hello' }
  | { type: 'started'; started: number; failed: number; ms: number }
  | { type: 'phase-ready' }
  | ({ type: 'report' } & PollerReport)
  | { type: 'closed' };
