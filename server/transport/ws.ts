import type { Server } from 'node:http';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { TokenService } from '../auth/tokens';
import type { Metrics } from '../metrics';
import type { Yoga } from '../yoga';

type Extra = { expiryTimer?: NodeJS.Timeout };

/**
 * graphql-ws (subprotocol graphql-transport-ws) on the same path as HTTP. A connection must
 * present a valid token; it is closed (4403 "Token expired") when that token expires, so the
 * client renews and resumes from its cursor.
 */
export function attachWebSocket(server: Server, yoga: Yoga, tokens: TokenService, options: { keepAliveMs: number; metrics?: Metrics }) {
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  options.metrics?.countSocketsWith(() => wss.clients.size);
  const heartbeat = keepAlive(wss, options.keepAliveMs);

  const disposable = useServer(
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : null;
        const check = token ? await tokens.verify(token) : null;
        if (!check?.ok) {
          const reason = !check ? 'Missing token: send connectionParams.authorization' : check.reason === 'expired' ? 'Token expired' : 'Invalid token';
          ctx.extra.socket.close(CloseCode.Forbidden, reason);
          return false;
        }
        const extra = ctx.extra as typeof ctx.extra & Extra;
        const ms = check.claims.expiresAt.getTime() - Date.now();
        extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(CloseCode.Forbidden, 'Token expired'), Math.max(0, ms));
        return true;
      },
      onClose: (ctx) => clearTimeout((ctx.extra as typeof ctx.extra & Extra).expiryTimer),
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          // Answer this operation with an error instead of closing everyone's socket.
          return [error as never];
        }
        const args = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wss,
  );

  return {
    wss,
    async stop() {
      clearInterval(heartbeat);
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
