import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export type QueryLimits = {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
};

/**
 * Live subscriptions over HTTP (SSE) per user, beside graphql-ws's sockets per user and operations
 * per socket (SocketLimits, transport/ws.ts); enforced by transport/http-streams.ts.
 */
export type StreamLimits = {
  maxSseStreamsPerUser: number;
};

/** Refusals of a query limit, recognised in results by identity (see `withCode`). */
const limitRefusals = new WeakSet<GraphQLError>();

/**
 * graphql-armor words every refusal "Syntax Error: …", a limit too. Ours names the limit only, and
 * is thrown in its place (before parsing or validation goes on, as armor's own would be).
 */
function refuse(_context: unknown, error: GraphQLError): never {
  const refusal = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
    extensions: { code: 'BAD_USER_INPUT' },
  });
  limitRefusals.add(refusal);
  throw refusal;
}

/** Depth, cost, alias, token and directive limits (graphql-armor); each refusal says which limit. */
export function useQueryLimits(limits: QueryLimits): Plugin {
  const onReject = [refuse];
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, onReject },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, onReject },
    maxAliases: { n: limits.maxAliases, onReject },
    maxTokens: { n: limits.maxTokens, onReject },
    maxDirectives: { n: limits.maxDirectives, onReject },
    // Field suggestions would let anyone map the schema through typos; GraphiQL has introspection.
    blockFieldSuggestion: { enabled: false },
  }) as Plugin;
}

/**
 * Errors without a code get BAD_USER_INPUT (or FORBIDDEN for a 403) and an HTTP status. A limit
 * refusal is 400 whatever the client accepts: the token limit is met while parsing, and Yoga marks
 * parse errors to answer 200 to `application/json` clients, unlike the other four limits.
 */
function withCode(error: GraphQLError): GraphQLError {
  if (limitRefusals.has(error))
    return new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
  if (error.extensions?.code) return error;
  const http = (error.extensions?.http as { status?: number } | undefined) ?? { status: 400 };
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    path: error.path,
    extensions: { ...error.extensions, code: http.status === 403 ? 'FORBIDDEN' : 'BAD_USER_INPUT', http },
  });
}

/**
 * graphql-js reports bad variables ("NaN" for a Float) and graphql-armor its limits without a
 * code; clients branch on `extensions.code`. For a result where nothing ran (no `data`), every
 * such refusal becomes BAD_USER_INPUT — by the GraphQL-over-HTTP spec a 400, not a 200.
 */
export function withInputErrorCodes<T>(result: T): T {
  if (!result || typeof result !== 'object' || Array.isArray(result) || !('errors' in result) || !result.errors)
    return result;
  if ('data' in result && result.data !== undefined) return result;
  return { ...result, errors: (result.errors as GraphQLError[]).map(withCode) };
}

/** Applies `withInputErrorCodes` to HTTP, SSE and multipart responses (graphql-ws: see transport/ws.ts). */
export function useInputErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      const coded = withInputErrorCodes(result);
      if (coded !== result) setResult(coded);
    },
  };
}
