import type { ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, parseMessage, type SubscribePayload } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { deadlines, type Expiring } from '../live/deadlines';

/**
 * The server side of graphql-transport-ws: graphql-ws's protocol, message validation and close
 * codes, so any graphql-ws client works unchanged.
 *
 * Why not graphql-ws's own `useServer`: it runs every operation inside the async function that
 * received its message, suspended in a `for await` for as long as the subscription lives. That
 * frame keeps the raw message, its Buffer, the parsed payload and the emit closures, about 3 KiB
 * per idle subscription (bench/idle-heap.ts). Here an operation is one entry in a map, and its
 * iterator's pending `next()`.
 */

/**
 * A stream that writes its own `next` frames (live subscriptions, server/transport/frames.ts):
 * not iterated, it tells when it ended by itself; `return()` ends it (complete, socket closed).
 */
export interface SelfSending {
  onEnd(listener: StreamEndListener): void;
  return(): Promise<unknown>;
}

export type StreamEndListener = { streamEnded(): void };

/**
 * What happens to one `subscribe` message: errors (an `error` message), one result, a stream of
 * results, or a stream that sends its own.
 */
export type Outcome = readonly GraphQLError[] | ExecutionResult | AsyncIterableIterator<ExecutionResult> | SelfSending;

export interface ProtocolHandlers<Session> {
  /** `connection_init`: the session of an acknowledged socket, or null when refused (the handler closed the socket). */
  init(socket: WebSocket, params: Readonly<Record<string, unknown>> | undefined): Promise<Session | null>;
  /** A `subscribe` on an acknowledged socket. `running` counts this socket's operations, this one included. */
  operate(
    session: Session,
    socket: WebSocket,
    id: string,
    payload: SubscribePayload,
    running: number,
  ): Promise<Outcome>;
  /** The finishing touches of a result before it is sent (error codes, metrics). */
  result(result: ExecutionResult): ExecutionResult;
  /** The finishing touches of errors answered with an `error` message (error codes, metrics). */
  refused(errors: readonly GraphQLError[]): readonly GraphQLError[];
  /** The socket closed; its operations were ended first. */
  closed(session: Session | null, socket: WebSocket, close: SocketClose): void;
  /** Something broke while handling a message; the socket is closed with 4500. */
  failed(error: unknown): void;
}

/** How a socket ended, for the connection log and the lifetime histogram. */
export type SocketClose = {
  code: number;
  reason: string;
  /** From the upgrade to the close. */
  durationMs: number;
  /** Operations still running when it closed (its live subscriptions, mostly). */
  subscriptions: number;
  /** Operations started over its life. */
  operations: number;
};

type Stream = AsyncIterableIterator<ExecutionResult>;

/**
 * One `subscribe`. The entry, not its id, decides what happens to the stream it starts: a client
 * may complete an id and subscribe with it again while the first attempt is still starting, and
 * each attempt's stream must end with its own operation.
 */
class Operation {
  stream: Stream | SelfSending | null = null;
  /** `operate` answered (until then the operation counts as running even if it already ended). */
  started = false;
  ended = false;

  constructor(
    private readonly connection: Connection<unknown>,
    readonly id: string,
  ) {}

  /** Its self-sending stream ended by itself: completed. */
  streamEnded() {
    this.connection.streamEnded(this);
  }
}

/** The sockets being served: their count, every one of them (shutdown), and the heartbeat. */
export type Served = {
  readonly size: number;
  sockets(): IterableIterator<WebSocket>;
  stop(): void;
};

/**
 * Serves graphql-transport-ws on every socket `wss` accepts (it negotiates that subprotocol only).
 * Sockets are tracked here, not by `ws` (its `clientTracking` adds a close listener and its
 * closure to every socket): create `wss` with `clientTracking: false`.
 *
 * graphql-ws sends no pings of its own: every `keepAliveMs` one sweep pings every socket and drops
 * those that did not answer the previous ping, so a dead peer is noticed within two intervals.
 */
export function serveGraphQLTransportWs<Session>(
  wss: WebSocketServer,
  handlers: ProtocolHandlers<Session>,
  options: { initTimeoutMs: number; keepAliveMs?: number },
): Served {
  const connections = new Map<WebSocket, Connection<Session>>();
  wss.on('connection', (socket) => {
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL)
      return socket.close(CloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
    connections.set(socket, new Connection(socket, handlers, options.initTimeoutMs, connections));
  });
  const heartbeat =
    options.keepAliveMs !== undefined && options.keepAliveMs > 0 && Number.isFinite(options.keepAliveMs)
      ? setInterval(() => {
          for (const connection of connections.values()) connection.heartbeat();
        }, options.keepAliveMs)
      : undefined;
  heartbeat?.unref();
  return {
    get size() {
      return connections.size;
    },
    sockets: () => connections.keys(),
    stop: () => clearInterval(heartbeat),
  };
}

// The same listeners for every socket (`this` is the socket), not closures per socket: the
// socket carries its Connection under a symbol.
const CONNECTION = Symbol('graphql-transport-ws connection');
type Carrier = WebSocket & { [CONNECTION]: Connection<unknown> };
const connectionOf = (socket: WebSocket) => (socket as Carrier)[CONNECTION];

function onMessage(this: WebSocket, data: RawData) {
  connectionOf(this).receive(data);
}
function onClose(this: WebSocket, code: number, reason: Buffer) {
  connectionOf(this).close(code, String(reason));
}
function onPong(this: WebSocket) {
  connectionOf(this).alive = true;
}
// ws closes the socket itself on a bad frame (1002, 1009 …); without a listener the error would end the process.
function onError() {}

/** Picks graphql-transport-ws when the client offers it (ws's `handleProtocols`). */
export const pickProtocol = (offered: Set<string>) =>
  offered.has(GRAPHQL_TRANSPORT_WS_PROTOCOL) ? GRAPHQL_TRANSPORT_WS_PROTOCOL : false;

/** One socket's protocol state: a class, not closures, since thousands stay open for hours. */
class Connection<Session> implements Expiring {
  /** It answered the last heartbeat ping (or has not been pinged yet). */
  alive = true;
  private initReceived = false;
  private session: Session | null = null;
  /** When the socket is closed 4408 unless `connection_init` came (ms since the epoch; 0: none). */
  private initDeadline = 0;
  /**
   * Operations by id, until they end: the first one in a field, a Map only for more at once. Most
   * sockets carry one operation for hours, and a Map costs ~180 B each.
   */
  private operation: Operation | null = null;
  private moreOperations: Map<string, Operation> | null = null;
  /** Operations not yet over: those above, and those that ended (complete) while still starting. */
  private running = 0;
  private operationsStarted = 0;
  private readonly openedAt = Date.now();

  constructor(
    private readonly socket: WebSocket,
    private readonly handlers: ProtocolHandlers<Session>,
    initTimeoutMs: number,
    private readonly connections: Map<WebSocket, Connection<Session>>,
  ) {
    // On the process's one deadline timer (live/deadlines.ts), not a timer and its closure per socket.
    if (initTimeoutMs > 0 && Number.isFinite(initTimeoutMs)) {
      this.initDeadline = this.openedAt + initTimeoutMs;
      deadlines.add(this, this.initDeadline);
    }
    (socket as Carrier)[CONNECTION] = this as Connection<unknown>;
    socket.on('message', onMessage);
    socket.on('close', onClose); // emitted once
    socket.on('pong', onPong);
    socket.on('error', onError);
  }

  /** The init deadline passed (deadlines.ts) before `connection_init` came. */
  expire() {
    this.initDeadline = 0;
    this.socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
  }

  private forgetInitDeadline() {
    if (this.initDeadline === 0) return;
    deadlines.delete(this, this.initDeadline);
    this.initDeadline = 0;
  }

  private operationWith(id: string) {
    return this.operation?.id === id ? this.operation : this.moreOperations?.get(id);
  }

  /** A heartbeat: dropped if it did not answer the last ping, else pinged. */
  heartbeat() {
    if (!this.alive) return this.socket.terminate();
    this.alive = false;
    this.socket.ping();
  }

  receive(data: RawData) {
    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(String(data));
    } catch {
      return this.socket.close(CloseCode.BadRequest, 'Invalid message received');
    }
    switch (message.type) {
      case MessageType.ConnectionInit:
        return this.init(message.payload);
      case MessageType.Ping:
        return this.send(
          message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong },
        );
      case MessageType.Pong:
        return;
      case MessageType.Subscribe: {
        if (this.session === null) return this.socket.close(CloseCode.Unauthorized, 'Unauthorized');
        const { id } = message;
        if (this.operationWith(id))
          return this.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
        const operation = new Operation(this as Connection<unknown>, id);
        if (this.operation === null) this.operation = operation;
        else (this.moreOperations ??= new Map()).set(id, operation);
        this.running += 1;
        this.operationsStarted += 1;
        return void this.run(this.session, operation, message.payload).catch((error) => this.fail(error));
      }
      case MessageType.Complete: {
        const operation = this.operationWith(message.id);
        if (operation) this.finish(operation);
        return;
      }
      default:
        // parseMessage accepts the server's own types too (connection_ack, next, …): a client may not send them.
        return this.socket.close(CloseCode.BadRequest, 'Invalid message received');
    }
  }

  private async init(payload: unknown) {
    if (this.initReceived)
      return this.socket.close(CloseCode.TooManyInitialisationRequests, 'Too many initialisation requests');
    this.initReceived = true;
    this.forgetInitDeadline();
    const params =
      payload !== null && typeof payload === 'object' && !Array.isArray(payload)
        ? (payload as Record<string, unknown>)
        : undefined;
    let session: Session | null;
    try {
      session = await this.handlers.init(this.socket, params);
    } catch (error) {
      return this.fail(error);
    }
    if (session === null) {
      if (this.socket.readyState === this.socket.OPEN) this.socket.close(CloseCode.Forbidden, 'Forbidden');
      return;
    }
    this.session = session;
    this.send({ type: MessageType.ConnectionAck });
  }

  private async run(session: Session, operation: Operation, payload: SubscribePayload) {
    const { id } = operation;
    const outcome = await this.handlers.operate(session, this.socket, id, payload, this.running);
    const stream = isSelfSending(outcome) || isStream(outcome) ? outcome : null;
    operation.started = true;
    // The client completed it, or the socket closed, while it started.
    if (operation.ended) {
      this.running -= 1;
      return this.end(stream);
    }
    if (stream) {
      operation.stream = stream;
      if (isSelfSending(stream)) return stream.onEnd(operation);
      return this.pump(operation, stream);
    }
    this.finish(operation);
    if (Array.isArray(outcome))
      return this.send({ id, type: MessageType.Error, payload: this.handlers.refused(outcome) });
    this.send({ id, type: MessageType.Next, payload: this.handlers.result(outcome as ExecutionResult) });
    this.send({ id, type: MessageType.Complete });
  }

  /** A self-sending stream ended by itself. */
  streamEnded(operation: Operation) {
    if (operation.ended) return;
    this.finish(operation);
    this.send({ id: operation.id, type: MessageType.Complete });
  }

  /** Sends each result as it comes; no frame of this function stays suspended between them. */
  private pump(operation: Operation, stream: Stream) {
    const { id } = operation;
    stream.next().then(
      (step) => {
        if (operation.ended) return;
        if (step.done) {
          this.finish(operation);
          return this.send({ id, type: MessageType.Complete });
        }
        this.send({ id, type: MessageType.Next, payload: this.handlers.result(step.value) });
        this.pump(operation, stream);
      },
      (error: unknown) => {
        if (operation.ended) return;
        this.finish(operation);
        this.handlers.failed(error);
        this.send({
          id,
          type: MessageType.Error,
          payload: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
      },
    );
  }

  private send(message: object) {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private fail(error: unknown) {
    this.handlers.failed(error);
    this.socket.close(CloseCode.InternalServerError, 'Internal server error');
  }

  close(code: number, reason: string) {
    this.forgetInitDeadline();
    this.connections.delete(this.socket);
    const operations = [...(this.operation ? [this.operation] : []), ...(this.moreOperations?.values() ?? [])];
    const subscriptions = operations.length;
    for (const operation of operations) this.finish(operation);
    this.handlers.closed(this.session, this.socket, {
      code,
      reason,
      durationMs: Date.now() - this.openedAt,
      subscriptions,
      operations: this.operationsStarted,
    });
  }

  /**
   * The operation is over (completed by the client, answered, or its socket closed): forgotten,
   * and its stream ended. One still starting ends when `operate` answers (see `run`).
   */
  private finish(operation: Operation) {
    if (operation.ended) return;
    operation.ended = true;
    if (this.operation === operation) this.operation = null;
    else if (this.moreOperations?.get(operation.id) === operation) {
      this.moreOperations.delete(operation.id);
      if (this.moreOperations.size === 0) this.moreOperations = null;
    }
    if (!operation.started) return;
    this.running -= 1;
    this.end(operation.stream);
  }

  private end(stream: Stream | SelfSending | null | undefined) {
    stream?.return?.().catch((error: unknown) => this.handlers.failed(error));
  }
}

const isSelfSending = (outcome: Outcome): outcome is SelfSending =>
  typeof (outcome as Partial<SelfSending>).onEnd === 'function';

const isStream = (outcome: Outcome): outcome is Stream =>
  typeof (outcome as Partial<Stream>)[Symbol.asyncIterator] === 'function';
