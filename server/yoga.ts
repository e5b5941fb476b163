import type { IncomingMessage } from 'node:http';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, useReadinessCheck } from 'graphql-yoga';
import type { Authentication } from './auth/authenticate';
import { bearerToken, bindToTransaction, type Context, type ContextDeps, createContext } from './context';
import { graphiqlDefaultQuery } from './graphiql';
import { type IdempotencyConfig, REPLAYED_HEADER, useIdempotentMutations } from './idempotency/plugin';
import { type QueryLimits, useInputErrorCodes, useQueryLimits } from './limits';
import { useSharedSubscriptionExecution } from './live/shared-execution';
import type { SlowSocket } from './live/stream';
import type { Logger } from './logger';
import { maskHomeroomError } from './mask-errors';
import { countErrors, type Metrics, useMetrics } from './metrics';
import { schema } from './schema';
import { useHttpStreamLimit } from './transport/http-streams';
import { useMultipartSubscriptions } from './transport/multipart';
import type { SocketCount } from './transport/socket-count';

export type YogaOptions = ContextDeps & {
  webOrigins: string[];
  limits: QueryLimits;
  metrics: Metrics;
  log: Logger;
  trustProxy: boolean;
  idempotency: IdempotencyConfig;
  /** How often an idle multipart subscription response sends a heartbeat part (WS_KEEPALIVE_MS). */
  heartbeatMs: number;
  /** Live subscriptions over HTTP (SSE) each user holds on this instance. */
  sseStreamsPerUser: { max: number; count: SocketCount };
  /** 200 when this instance can serve and deliver, 503 otherwise, with the details as JSON. */
  ready: () => Promise<Response>;
};

/** The token travels in the Authorization header (HTTP, SSE, multipart) or in connectionParams (graphql-ws). */
function tokenFrom(request: Request | undefined, connectionParams: Record<string, unknown> | undefined): string | null {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  if (typeof fromParams === 'string') return bearerToken(fromParams) ?? fromParams;
  const header = request?.headers?.get?.('authorization');
  return bearerToken(header);
}

/** What a client's address is read from: the HTTP request, or what a socket kept of its upgrade request. */
export type AddressSource = {
  headers: Pick<IncomingMessage['headers'], 'x-forwarded-for'>;
  socket?: { remoteAddress?: string };
};

function clientAddress(req: AddressSource | undefined, trustProxy: boolean): string {
  // The last entry is the one our own proxy appended; anything before it the client could have written.
  const forwarded = trustProxy
    ? (String(req?.headers['x-forwarded-for'] ?? '')
        .split(',')
        .at(-1)
        ?.trim() ?? '')
    : '';
  return forwarded || req?.socket?.remoteAddress || 'unknown';
}

export function buildYoga(options: YogaOptions) {
  return createYoga<{
    connectionParams?: Record<string, unknown>;
    req?: AddressSource;
    slowSocket?: SlowSocket;
    authenticated?: Authentication;
  }>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Yoga's own messages (masked internal errors with their cause) go to the structured log.
    logging: {
      debug: (...args: unknown[]) => options.log.debug({ yoga: args.slice(1) }, String(args[0])),
      info: (...args: unknown[]) => options.log.info({ yoga: args.slice(1) }, String(args[0])),
      warn: (...args: unknown[]) => options.log.warn({ yoga: args.slice(1) }, String(args[0])),
      error: (...args: unknown[]) =>
        options.log.error(
          { err: args[0] instanceof Error ? args[0] : undefined, yoga: args.slice(1) },
          String(args[0]),
        ),
    },
    context: ({ request, connectionParams, req, slowSocket, authenticated }) =>
      createContext(options, tokenFrom(request, connectionParams), {
        clientAddress: clientAddress(req, options.trustProxy),
        userAgent: request?.headers?.get?.('user-agent') ?? '',
        slowSocket,
        authenticated,
      }),
    // Only the web app's origins get CORS headers; any other (and the opaque "null") gets none.
    cors: (request) => {
      const origin = request.headers.get('origin');
      return origin && options.webOrigins.includes(origin)
        ? { origin: [origin], credentials: false, methods: ['GET', 'POST'], exposedHeaders: [REPLAYED_HEADER] }
        : false;
    },
    graphiql: { title: 'Homeroom API', defaultQuery: graphiqlDefaultQuery, subscriptionsProtocol: 'WS' },
    renderGraphiQL,
    maskedErrors: { maskError: maskHomeroomError },
    plugins: [
      useReadinessCheck({ endpoint: '/ready', check: options.ready }),
      // Browsers may not send simple (non-preflighted) GraphQL requests without this header.
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'graphql-require-preflight'] }),
      useMetrics(options.metrics),
      useQueryLimits(options.limits),
      useInputErrorCodes(),
      useSharedSubscriptionExecution(),
      useHttpStreamLimit(options.sseStreamsPerUser),
      useIdempotentMutations<Context & { request?: Request }>({
        db: options.db,
        ttlSeconds: options.idempotency.ttlSeconds,
        waitMs: options.idempotency.waitMs,
        bindToTransaction: (context, tx) => bindToTransaction(context, tx as unknown as Context['db']),
      }),
      useMultipartSubscriptions({
        heartbeatMs: options.heartbeatMs,
        onResult: (result) => countErrors(options.metrics, result),
      }),
    ],
  });
}

export type Yoga = ReturnType<typeof buildYoga>;
