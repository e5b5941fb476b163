import type { ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, parseMessage, type SubscribePayload } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';

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

/** What happens to one `subscribe` message: errors (an `error` message), one result, or a stream of results. */
export type Outcome = readonly GraphQLError[] | ExecutionResult | AsyncIterableIterator<ExecutionResult>;

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
type Operation = {
  stream: Stream | null;
  /** `operate` answered (until then the operation counts as running even if it already ended). */
  started: boolean;
  ended: boolean;
};

/** Serves graphql-transport-ws on every socket `wss` accepts (it negotiates that subprotocol only). */
export function serveGraphQLTransportWs<Session>(
  wss: WebSocketServer,
  handlers: ProtocolHandlers<Session>,
  options: { initTimeoutMs: number },
) {
  wss.on('connection', (socket) => {
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL)
      return socket.close(CloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
    new Connection(socket, handlers, options.initTimeoutMs);
  });
}

/** Picks graphql-transport-ws when the client offers it (ws's `handleProtocols`). */
export const pickProtocol = (offered: Set<string>) =>
  offered.has(GRAPHQL_TRANSPORT_WS_PROTOCOL) ? GRAPHQL_TRANSPORT_WS_PROTOCOL : false;

/** One socket's protocol state: a class, not closures, since thousands stay open for hours. */
class Connection<Session> {
  private initReceived = false;
  private session: Session | null = null;
  private initTimer: NodeJS.Timeout | undefined;
  /** Operations by id, until they end. */
  private readonly operations = new Map<string, Operation>();
  /** Operations not yet over: those in the map, and those that ended (complete) while still starting. */
  private running = 0;
  private operationsStarted = 0;
  private readonly openedAt = Date.now();

  constructor(
    private readonly socket: WebSocket,
    private readonly handlers: ProtocolHandlers<Session>,
    initTimeoutMs: number,
  ) {
    if (initTimeoutMs > 0 && Number.isFinite(initTimeoutMs)) {
      this.initTimer = setTimeout(
        () => socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout'),
        initTimeoutMs,
      );
    }
    socket.on('message', (data) => this.receive(data));
    socket.once('close', (code, reason) => this.close(code, String(reason)));
    // ws closes the socket itself on a bad frame (1002, 1009 …); without a listener the error would end the process.
    socket.on('error', () => {});
  }

  private receive(data: RawData) {
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
        if (this.operations.has(id))
          return this.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
        const operation: Operation = { stream: null, started: false, ended: false };
        this.operations.set(id, operation);
        this.running += 1;
        this.operationsStarted += 1;
        return void this.run(this.session, id, operation, message.payload).catch((error) => this.fail(error));
      }
      case MessageType.Complete: {
        const operation = this.operations.get(message.id);
        if (operation) this.finish(message.id, operation);
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
    clearTimeout(this.initTimer);
    this.initTimer = undefined;
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

  private async run(session: Session, id: string, operation: Operation, payload: SubscribePayload) {
    const outcome = await this.handlers.operate(session, this.socket, id, payload, this.running);
    const stream = isStream(outcome) ? outcome : null;
    operation.started = true;
    // The client completed it, or the socket closed, while it started.
    if (operation.ended) {
      this.running -= 1;
      return this.end(stream);
    }
    if (stream) {
      operation.stream = stream;
      return this.pump(id, operation, stream);
    }
    this.finish(id, operation);
    if (Array.isArray(outcome))
      return this.send({ id, type: MessageType.Error, payload: this.handlers.refused(outcome) });
    this.send({ id, type: MessageType.Next, payload: this.handlers.result(outcome as ExecutionResult) });
    this.send({ id, type: MessageType.Complete });
  }

  /** Sends each result as it comes; no frame of this function stays suspended between them. */
  private pump(id: string, operation: Operation, stream: Stream) {
    stream.next().then(
      (step) => {
        if (operation.ended) return;
        if (step.done) {
          this.finish(id, operation);
          return this.send({ id, type: MessageType.Complete });
        }
        this.send({ id, type: MessageType.Next, payload: this.handlers.result(step.value) });
        this.pump(id, operation, stream);
      },
      (error: unknown) => {
        if (operation.ended) return;
        this.finish(id, operation);
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

  private close(code: number, reason: string) {
    clearTimeout(this.initTimer);
    const subscriptions = this.operations.size;
    for (const [id, operation] of [...this.operations]) this.finish(id, operation);
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
  private finish(id: string, operation: Operation) {
    if (operation.ended) return;
    operation.ended = true;
    if (this.operations.get(id) === operation) this.operations.delete(id);
    if (!operation.started) return;
    this.running -= 1;
    this.end(operation.stream);
  }

  private end(stream: Stream | null | undefined) {
    stream?.return?.().catch((error: unknown) => this.handlers.failed(error));
  }
}

const isStream = (outcome: Outcome): outcome is Stream =>
  typeof (outcome as Partial<Stream>)[Symbol.asyncIterator] === 'function';
