import type { IncomingMessage, Server } from 'node:http';
import { type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { TokenService } from '../auth/tokens';
import type { FrameTarget } from '../live/frames';
import { subscribeShared } from '../live/shared-execution';
import type { Logger } from '../logger';
import { maskResultErrors } from '../mask-errors';
import { countErrors, type Metrics } from '../metrics';
import type { AddressSource, Yoga } from '../yoga';
import { withInputErrorCodes } from '../limits';
import { isAllowedOrigin } from './origin';

export type SocketLimits = {
  keepAliveMs: number;
  /** How long a socket may stay open before it sends connection_init (then 4408). */
  initTimeoutMs: number;
  maxMessageBytes: number;
  maxSocketsPerUser: number;
  maxSubscriptionsPerSocket: number;
  webOrigins: string[];
};

/** Close codes graphql-ws clients retry on (see graphql-ws `isFatalInternalCloseCode`). */
export const RETRYABLE = { serviceRestart: 1012, tryAgainLater: 1013 } as const;

/** What a socket keeps: not its upgrade request (over 1 KiB each), only what the client's address is read from. */
type SocketState = { userId?: string; expiryTimer?: NodeJS.Timeout; address?: AddressSource };

/**
 * graphql-ws (subprotocol graphql-transport-ws) on the same path as HTTP. A connection must
 * present a valid token; it is closed (4403 "Token expired") when that token expires, so the
 * client renews and resumes from its cursor. Protocol violations get graphql-ws's own close codes.
 */
export function attachWebSocket(server: Server, yoga: Yoga, tokens: TokenService, limits: SocketLimits, deps: { metrics?: Metrics; log: Logger }) {
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    // Larger frames close the socket with 1009 before they are parsed.
    maxPayload: limits.maxMessageBytes,
    // Browsers send Origin; a page on a foreign site must not ride on a user's token.
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }) => isAllowedOrigin(origin, req, limits.webOrigins),
  });
  deps.metrics?.countSocketsWith(() => wss.clients.size);
  const heartbeat = keepAlive(wss, limits.keepAliveMs);
  const socketsPerUser = new Map<string, number>();
  const states = new WeakMap<object, SocketState>();
  // Live frames bypass graphql-ws's hooks: the same finishing touches as onNext below, once per result.
  const prepare = (result: ExecutionResult) => withInputErrorCodes(maskResultErrors(result, deps.log));
  const onErrors = deps.metrics && ((result: ExecutionResult) => countErrors(deps.metrics!, result));
  // One per socket, however many subscriptions it carries.
  const closers = new WeakMap<WebSocket, () => void>();
  const closerOf = (socket: WebSocket) => {
    let close = closers.get(socket);
    if (!close) closers.set(socket, (close = () => socket.close(RETRYABLE.tryAgainLater, 'Too slow: reconnect and resume from your last cursor')));
    return close;
  };
  const stateOf = (extra: object) => {
    let state = states.get(extra);
    if (!state) states.set(extra, (state = {}));
    return state;
  };

  const disposable = useServer(
    {
      connectionInitWaitTimeout: limits.initTimeoutMs,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : null;
        const check = token ? await tokens.verify(token) : null;
        if (!check?.ok) {
          const reason = !check ? 'Missing token: send connectionParams.authorization' : check.reason === 'expired' ? 'Token expired' : 'Invalid token';
          socket.close(CloseCode.Forbidden, reason);
          return false;
        }
        const userId = check.claims.userId;
        const open = socketsPerUser.get(userId) ?? 0;
        if (open >= limits.maxSocketsPerUser) {
          // 1008 is fatal for graphql-ws clients: retrying cannot help until another socket closes.
          socket.close(1008, `Too many sockets for this user (limit ${limits.maxSocketsPerUser})`);
          return false;
        }
        socketsPerUser.set(userId, open + 1);
        const state = stateOf(ctx.extra);
        state.userId = userId;
        const { request } = ctx.extra;
        state.address = { headers: { 'x-forwarded-for': request.headers['x-forwarded-for'] }, socket: { remoteAddress: request.socket.remoteAddress } };
        (ctx.extra as { request?: IncomingMessage }).request = undefined;
        // Node timers hold at most 2^31-1 ms; TOKEN_TTL_SECONDS is capped far below that.
        const ms = Math.min(check.claims.expiresAt.getTime() - Date.now(), 2 ** 31 - 1);
        state.expiryTimer = setTimeout(() => socket.close(CloseCode.Forbidden, 'Token expired'), Math.max(0, ms));
        return true;
      },
      onClose: (ctx) => {
        const state = stateOf(ctx.extra);
        clearTimeout(state.expiryTimer);
        if (state.userId) {
          const left = (socketsPerUser.get(state.userId) ?? 1) - 1;
          if (left > 0) socketsPerUser.set(state.userId, left);
          else socketsPerUser.delete(state.userId);
        }
      },
      // The same error codes as over HTTP (Yoga's result hooks do not run for graphql-ws).
      onNext: (_ctx, _id, _payload, _args, result) => {
        const coded = withInputErrorCodes(result);
        if (deps.metrics) countErrors(deps.metrics, coded);
        return coded === result ? undefined : (coded as never);
      },
      onError: (_ctx, _id, _payload, errors) => {
        if (deps.metrics) countErrors(deps.metrics, { errors });
      },
      execute: (args: any) => args.rootValue.execute(args),
      // Straight to the live subscription (frames written to the socket, see live/frames.ts), not
      // through envelop's per-operation result wrappers; errors get the same masking and codes.
      subscribe: async (args: ExecutionArgs) => {
        const result = await subscribeShared(args);
        return Symbol.asyncIterator in result ? result : prepare(result);
      },
      onSubscribe: async (ctx, id, params) => {
        // graphql-ws's own registry: a `complete` removes its id at once, and this id is already in it.
        if (Object.keys(ctx.subscriptions).length - 1 >= limits.maxSubscriptionsPerSocket) {
          return [new GraphQLError(`Too many operations on this socket (limit ${limits.maxSubscriptionsPerSocket})`, { extensions: { code: 'TOO_MANY_REQUESTS' } })];
        }
        const socket = ctx.extra.socket;
        // Only what the context needs: a live subscription keeps it (and everything it holds) for its whole life.
        const { schema, execute, contextFactory, parse, validate } = yoga.getEnveloped({
          connectionParams: ctx.connectionParams,
          req: stateOf(ctx.extra).address,
          // A subscription that falls too far behind closes the socket with a code clients retry on.
          closeSlowSocket: closerOf(socket),
          liveFrames: { socket, id, prepare, onErrors } satisfies FrameTarget,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          // Answer this operation with an error instead of closing everyone's socket.
          return [error as never];
        }
        let errors;
        try {
          errors = validate(schema, document);
        } catch (error) {
          // graphql-armor's rules throw their refusal: answer this operation, keep the socket.
          return [error as never];
        }
        if (errors.length) return errors;
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute },
        };
      },
    },
    wss,
    // Our own keep-alive (below) is the one WS_KEEPALIVE_MS configures; graphql-ws's is off.
    0,
  );

  return {
    wss,
    /** Closes every socket with 1012 (clients reconnect, elsewhere, and resume) and stops. */
    async stop() {
      clearInterval(heartbeat);
      for (const socket of wss.clients) socket.close(RETRYABLE.serviceRestart, 'Server restarting: reconnect and resume');
      await disposable.dispose();
    },
  };
}

/**
 * graphql-ws sends no pings of its own: ping every socket and drop the ones that did not answer
 * the previous ping, so a dead peer is noticed within two intervals.
 */
function keepAlive(wss: WebSocketServer, intervalMs: number) {
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (socket) => {
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
  });
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.get(socket)) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return timer;
}
