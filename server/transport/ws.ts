import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { LRUCache } from 'lru-cache';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Authentication, authErrorMessages } from '../auth/authenticate';
import { closeReasons } from '../auth/sessions';
import type { SocketLimits } from '../env';
import { LeanMultiMap } from '../lean-multimap';
import { withInputErrorCodes } from '../limits';
import { type AccountEvent, type AccountWatch, affects } from '../live/accounts';
import { deadlines, type Expiring } from '../live/deadlines';
import { subscribeShared } from '../live/shared-execution';
import type { SlowSocket } from '../live/stream';
import type { Logger } from '../logger';
import { maskResultErrors } from '../mask-errors';
import { countErrors, type Metrics } from '../metrics';
import type { AddressSource, Yoga } from '../yoga';
import { sendFrames } from './frames';
import { pickProtocol, serveGraphQLTransportWs } from './graphql-transport-ws';
import { isAllowedOrigin } from './origin';
import type { SocketCount } from './socket-count';

/** Close codes graphql-ws clients retry on (see graphql-ws `isFatalInternalCloseCode`). */
export const RETRYABLE = { serviceRestart: 1012, tryAgainLater: 1013 } as const;

/** Valid documents remembered by text (as many as Yoga's own parse cache keeps). */
const VALID_DOCUMENTS_KEPT = 1024;

type Authenticated = Extract<Authentication, { ok: true }>;

/**
 * What an acknowledged socket keeps for its operations. A class: what it does at the token's
 * expiry and to a slow consumer are methods, where closures (and a timer) per socket would cost
 * ~700 B each of 100,000 sockets.
 */
class Session implements SlowSocket, Expiring, AddressSource {
  constructor(
    readonly ws: WebSocket,
    /** Its place in the per-user socket count. */
    readonly lease: string,
    /** The connect-time answer, reused by every operation: the socket is closed when it stops being true. */
    readonly authenticated: Authenticated,
    readonly connectionParams: Readonly<Record<string, unknown>> | undefined,
    /** What the client's address is read from, kept from the upgrade request (not the request itself, over 1 KiB). */
    readonly remoteAddress: string | undefined,
    readonly forwardedFor: string | string[] | undefined,
    /** The TCP socket under `ws`: live frames are written to it prebuilt (frames.ts). */
    readonly wire: Duplex,
  ) {}

  get userId() {
    return this.authenticated.viewer.id;
  }

  get sessionId() {
    return this.authenticated.sessionId;
  }

  // What Yoga's context reads the client's address from (AddressSource), built when asked, not kept.
  get headers() {
    return { 'x-forwarded-for': this.forwardedFor };
  }

  get socket() {
    return { remoteAddress: this.remoteAddress };
  }

  /** A subscription fell too far behind: the client reconnects and resumes. */
  closeSlowSocket() {
    this.ws.close(RETRYABLE.tryAgainLater, 'Too slow: reconnect and resume from your last cursor');
  }

  /** The token expired (deadlines.ts): the client renews it and resumes from its cursor. */
  expire() {
    this.ws.close(CloseCode.Forbidden, 'Token expired');
  }
}

/**
 * graphql-ws (subprotocol graphql-transport-ws) on the same path as HTTP. A connection must
 * present a token of an active session; it is closed 4403 when that token expires ("Token
 * expired": the client renews and resumes from its cursor) and when an account event from any
 * instance takes its access away (session ended, account deactivated, role changed), with the
 * reason. Protocol violations get graphql-ws's own close codes.
 */
export function attachWebSocket(
  server: Server,
  yoga: Yoga,
  auth: {
    authenticate: (token: string) => Promise<Authentication>;
    accounts: AccountWatch;
    socketCount: SocketCount;
  },
  limits: SocketLimits,
  deps: { metrics?: Metrics; log: Logger },
) {
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    // serveGraphQLTransportWs tracks the sockets (ws would add a listener and a closure to each).
    clientTracking: false,
    // Larger frames close the socket with 1009 before they are parsed.
    maxPayload: limits.maxMessageBytes,
    // Browsers send Origin; a page on a foreign site must not ride on a user's token.
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }) =>
      isAllowedOrigin(origin, req, limits.webOrigins),
    handleProtocols: pickProtocol,
  });
  // Acknowledged sockets of this instance by user: whom an account event concerns.
  const socketsByUser = new LeanMultiMap<string, Session>();
  // One line per change and instance (not per socket): which access ended, why, and how many
  // sockets it closed here. Connects refused by a change heard meanwhile are logged in `init`.
  const logAccessClosed = (event: AccountEvent, sockets: number, during: 'live' | 'connect') =>
    deps.log.info(
      { userId: event.userId, sessionId: event.sessionId, reason: event.reason, sockets, during, closeCode: 4403 },
      'sockets closed: access changed',
    );
  const stopWatching = auth.accounts.subscribe((event) => {
    let closed = 0;
    for (const session of socketsByUser.members(event.userId))
      if (affects(event, session.userId, session.sessionId)) {
        session.ws.close(CloseCode.Forbidden, closeReasons[event.reason]);
        closed++;
      }
    if (closed > 0) logAccessClosed(event, closed, 'live');
  });
  // Not the upgrade request (over 1 KiB each): only what the client's address is read from, until connection_init.
  const addresses = new WeakMap<WebSocket, AddressSource & { wire: Duplex }>();
  wss.on('connection', (socket, request) => {
    addresses.set(socket, {
      headers: { 'x-forwarded-for': request.headers['x-forwarded-for'] },
      socket: { remoteAddress: request.socket.remoteAddress },
      wire: request.socket,
    });
  });
  wss.on('error', (error) => deps.log.error({ err: error }, 'WebSocket server error'));
  // Documents that parsed and passed validation (the query limits included), by their text: the
  // same answer Yoga's parse and validation caches give for the same text, without running both
  // hooks (and building the rules' cache key) for every subscribe; a socket storm sends one text.
  const validDocuments = new LRUCache<string, DocumentNode>({ max: VALID_DOCUMENTS_KEPT });
  // Live frames bypass the result hook below: the same finishing touches, once per result.
  const prepare = (result: ExecutionResult) => withInputErrorCodes(maskResultErrors(result, deps.log));
  const onErrors = deps.metrics && ((result: ExecutionResult) => countErrors(deps.metrics!, result));

  const served = serveGraphQLTransportWs<Session>(
    wss,
    {
      async init(socket, params) {
        const raw = params?.authorization ?? params?.Authorization;
        const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : null;
        const check = token ? await auth.authenticate(token) : null;
        if (!check?.ok) {
          const reason = !check
            ? 'Missing token: send connectionParams.authorization'
            : check.error === 'expired'
              ? 'Token expired'
              : check.error === 'invalid'
                ? 'Invalid token'
                : check.ended
                  ? closeReasons[check.ended]
                  : authErrorMessages[check.error];
          socket.close(CloseCode.Forbidden, reason);
          return null;
        }
        const userId = check.viewer.id;
        // Counted on every instance (with Redis): retrying cannot help until another socket closes,
        // and 1008 is fatal for graphql-ws clients.
        const lease = await auth.socketCount.acquire(userId);
        if (!lease) {
          socket.close(1008, `Too many sockets for this user (limit ${limits.maxSocketsPerUser})`);
          return null;
        }
        // An event heard while the session was being looked up: the answer is already stale.
        const change = auth.accounts.changedSince(userId, check.sessionId, check.at);
        if (change || socket.readyState !== socket.OPEN) {
          auth.socketCount.release(userId, lease);
          if (change) {
            socket.close(CloseCode.Forbidden, closeReasons[change.reason]);
            logAccessClosed(change, 1, 'connect');
          }
          return null;
        }
        // Set on 'connection', which ws emits before any message of the socket.
        const address = addresses.get(socket)!;
        addresses.delete(socket);
        const session = new Session(
          socket,
          lease,
          check,
          params,
          address.socket?.remoteAddress,
          address.headers['x-forwarded-for'],
          address.wire,
        );
        deadlines.add(session, check.expiresAt.getTime());
        socketsByUser.add(userId, session);
        return session;
      },
      async operate(session, socket, id, params, running) {
        if (running - 1 >= limits.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(`Too many operations on this socket (limit ${limits.maxSubscriptionsPerSocket})`, {
              extensions: { code: 'TOO_MANY_REQUESTS' },
            }),
          ];
        }
        // Only what the context needs: a live subscription keeps it (and everything it holds) for its whole life.
        const { schema, execute, contextFactory, parse, validate } = yoga.getEnveloped({
          connectionParams: session.connectionParams,
          req: session,
          // A subscription that falls too far behind closes the socket with a code clients retry on.
          slowSocket: session,
          authenticated: session.authenticated,
        });
        let document = validDocuments.get(params.query);
        if (!document) {
          let parsed: DocumentNode;
          try {
            parsed = parse(params.query);
          } catch (error) {
            // Answer this operation with an error instead of closing everyone's socket.
            return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
          }
          let errors: ReturnType<typeof validate>;
          try {
            errors = validate(schema, parsed);
          } catch (error) {
            // graphql-armor's rules throw their refusal: answer this operation, keep the socket.
            return [error as GraphQLError];
          }
          if (errors.length) return errors.map((error: GraphQLError) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
          validDocuments.set(params.query, parsed);
          document = parsed;
        }
        const operation = getOperationAST(document, params.operationName);
        if (!operation) return [new GraphQLError('Unable to identify operation')];
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: params.operationName,
          variableValues: params.variables,
          contextValue: await contextFactory(),
        };
        if (operation.operation !== 'subscription') return (await execute(args)) as ExecutionResult;
        // Straight to the live subscription (frames written to the socket, see frames.ts), not
        // through envelop's per-operation result wrappers; errors get the same masking and codes.
        const result = await subscribeShared(args, (stream, executor) =>
          sendFrames(stream, executor, { socket, wire: session.wire, id, prepare, onErrors }),
        );
        return Symbol.asyncIterator in result ? result : prepare(result);
      },
      // The same error codes as over HTTP (Yoga's result hooks do not run here).
      result(result) {
        const coded = withInputErrorCodes(result);
        onErrors?.(coded);
        return coded;
      },
      refused(errors) {
        const coded = withInputErrorCodes({ errors }).errors;
        onErrors?.({ errors: coded });
        return coded;
      },
      closed(session, socket, close) {
        // The connection log: one line per socket, refused ones included (no user then).
        const address: AddressSource | undefined = session ?? addresses.get(socket);
        deps.log.info(
          {
            transport: 'graphql-ws',
            userId: session?.userId ?? null,
            sessionId: session?.sessionId ?? null,
            address: address?.socket?.remoteAddress ?? null,
            forwardedFor: address?.headers['x-forwarded-for'] ?? null,
            durationMs: close.durationMs,
            subscriptions: close.subscriptions,
            operations: close.operations,
            closeCode: close.code,
            closeReason: close.reason,
          },
          'socket closed',
        );
        deps.metrics?.socketLifetime.observe({ code: String(close.code) }, close.durationMs / 1000);
        if (!session) return;
        deadlines.delete(session, session.authenticated.expiresAt.getTime());
        auth.socketCount.release(session.userId, session.lease);
        socketsByUser.delete(session.userId, session);
      },
      failed(error) {
        deps.log.error({ err: error }, 'graphql-ws operation failed');
      },
    },
    { initTimeoutMs: limits.initTimeoutMs, keepAliveMs: limits.keepAliveMs },
  );
  deps.metrics?.countSocketsWith(() => served.size);

  return {
    wss,
    /** Closes every socket with 1012 (clients reconnect, elsewhere, and resume) and stops. */
    async stop() {
      stopWatching();
      await auth.socketCount.stop();
      served.stop();
      for (const socket of served.sockets())
        socket.close(RETRYABLE.serviceRestart, 'Server restarting: reconnect and resume');
      wss.removeAllListeners('connection');
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * The code Yoga's HTTP pipeline gives a parse or validation error, which graphql-ws does not pass
 * through. A new error: the one given may be cached (Yoga caches parse and validation results).
 */
function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}
