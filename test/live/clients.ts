import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Collector } from './wait';

export type Closed = { code: number; reason: string };
export type GqlError = { message: string; extensions?: { code?: string; [key: string]: unknown } };

/** One graphql-ws subscription: its events (the root field's value), errors and completion. */
export class LiveStream<T = any> extends Collector<T> {
  readonly errors: GqlError[] = [];
  done = false;
  dispose: () => void = () => {};

  /** Resolves when the server ended the operation (complete or error). */
  ended(timeoutMs?: number) {
    return this.until(() => this.done, timeoutMs, 'the end of the subscription');
  }
  cursors(this: LiveStream<{ cursor: string }>) {
    return this.items.map((e) => e.cursor);
  }
}

/**
 * A real graphql-ws client (Node 20 needs `ws` as its WebSocket) that never retries, so closes are
 * visible to the test: `closes` collects every close code and reason.
 */
export function connectLive(wsUrl: string, token: string | null) {
  const closes = new Collector<Closed>();
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (event) => closes.push({ code: (event as Closed).code, reason: (event as Closed).reason }) },
  });
  const streams: LiveStream[] = [];
  return {
    client,
    closes,
    subscribe<T = any>(query: string, variables: Record<string, unknown> = {}): LiveStream<T> {
      const stream = new LiveStream<T>();
      streams.push(stream);
      stream.dispose = client.subscribe<Record<string, T>>(
        { query, variables },
        {
          next(result) {
            if (result.errors?.length) stream.errors.push(...(result.errors as GqlError[]));
            if (result.data) stream.push(Object.values(result.data)[0]);
            else stream.notify();
          },
          error(error) {
            if (Array.isArray(error)) stream.errors.push(...(error as GqlError[]));
            else
              stream.errors.push({
                message:
                  error instanceof Error
                    ? error.message
                    : `closed ${(error as Closed).code} ${(error as Closed).reason}`,
              });
            stream.done = true;
            stream.notify();
          },
          complete() {
            stream.done = true;
            stream.notify();
          },
        },
      );
      return stream;
    },
    async dispose() {
      for (const stream of streams) stream.dispose();
      await client.dispose();
    },
  };
}
export type LiveConnection = ReturnType<typeof connectLive>;

/** The protocol by hand (subprotocol graphql-transport-ws), to see exact frames and close codes. */
export function rawSocket(wsUrl: string) {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const messages = new Collector<any>();
  const closes = new Collector<Closed>();
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
  socket.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('close', (code) => reject(new Error(`closed ${code} before opening`)));
  });
  return {
    socket,
    messages,
    closes,
    async send(message: unknown) {
      await opened;
      socket.send(JSON.stringify(message));
    },
    closed: (timeoutMs?: number) =>
      closes.until(() => closes.items.length > 0, timeoutMs, 'the socket to close').then(() => closes.items[0]),
    close: () => socket.close(),
  };
}

/** A subscription over SSE (Yoga on /graphql, `Accept: text/event-stream`): parsed `next` payloads. */
export async function sseSubscribe(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
) {
  const abort = new AbortController();
  const events = new Collector<any>();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  let ended = false;
  const reading = (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (type === 'next' && data) events.push(JSON.parse(data));
        }
      }
    } catch {
      /* aborted */
    } finally {
      ended = true;
      events.notify();
    }
  })();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events,
    ended: () => events.until(() => ended, 15_000, 'the end of the SSE stream'),
    /** True once the server ended the response (or it was aborted). */
    isEnded: () => ended,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

/**
 * A subscription over multipart HTTP (Apollo's protocol: `Accept: multipart/mixed;subscriptionSpec="1.0"`),
 * read by hand: every part's JSON in order (`{}` heartbeats, `{ payload }` results) and whether the
 * closing boundary came.
 */
export async function multipartSubscribe(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
  accept = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0",application/json',
) {
  const abort = new AbortController();
  const parts = new Collector<any>();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const contentType = response.headers.get('content-type') ?? '';
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1] ?? '-';
  let closed = false;
  let ended = false;
  const reading = (async () => {
    if (!contentType.startsWith('multipart/mixed')) return;
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf(`\r\n--${boundary}`)) >= 0) {
          const part = buffer.slice(0, end);
          buffer = buffer.slice(end + boundary.length + 4);
          const body = part.slice(part.indexOf('\r\n\r\n') + 4);
          if (part.includes('\r\n\r\n') && body.trim()) parts.push(JSON.parse(body));
        }
        if (buffer.startsWith('--')) closed = true;
      }
    } catch {
      /* aborted */
    } finally {
      ended = true;
      parts.notify();
    }
  })();
  return {
    status: response.status,
    contentType,
    /** Every part's JSON, heartbeats (`{}`) included. */
    parts,
    /** The `payload` of every result part. */
    payloads: () => parts.items.filter((p) => 'payload' in p).map((p) => p.payload),
    /** Resolves when the server ended the response; true if it sent the closing boundary first. */
    ended: () => parts.until(() => ended, 15_000, 'the end of the multipart response').then(() => closed),
    /** The JSON body of an answer that is not multipart (a refusal before the subscription started). */
    body: () => response.json() as Promise<{ data?: unknown; errors?: GqlError[] }>,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

/** One GraphQL operation over HTTP. */
export async function gql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string | null,
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: GqlError[] };
  return { status: response.status, data: body.data ?? null, errors: body.errors };
}

/** Like `gql`, but throws on any error. */
export async function gqlOk<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string | null,
): Promise<T> {
  const result = await gql<T>(url, query, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL error: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** Pages through `updates` from `after` until `hasMore` is false; returns every event and the last cursor. */
export async function allUpdates(url: string, token: string, after: string, courseId?: string) {
  const query = /* GraphQL */ `
    query ($after: String!, $courseId: ID) {
      updates(after: $after, courseId: $courseId, first: 200) {
        cursor hasMore resyncRequired
        events { __typename ... on GradeEvent { cursor } ... on AttendanceEvent { cursor } ... on PollEvent { cursor } ... on ContentAvailableEvent { cursor changes } ... on NotificationEvent { cursor } ... on MessageEvent { cursor } ... on CourseEvent { cursor } }
      }
    }`;
  const events: { __typename: string; cursor: string; changes?: number }[] = [];
  let cursor = after;
  for (let page = 0; page < 100; page++) {
    const { updates } = await gqlOk(url, query, { after: cursor, courseId }, token);
    events.push(...updates.events);
    cursor = updates.cursor;
    if (!updates.hasMore) return { events, cursor, resyncRequired: updates.resyncRequired as boolean };
  }
  throw new Error('updates: more than 100 pages');
}
