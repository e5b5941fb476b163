import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export type QueryLimits = { maxDepth: number; maxCost: number; maxAliases: number; maxTokens: number; maxDirectives: number };

/** Depth, cost, alias, token and directive limits (graphql-armor); each refusal says which limit. */
export function useQueryLimits(limits: QueryLimits): Plugin {
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true },
    maxAliases: { n: limits.maxAliases },
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: limits.maxDirectives },
    // Field suggestions would let anyone map the schema through typos; GraphiQL has introspection.
    blockFieldSuggestion: { enabled: false },
  }) as Plugin;
}

/**
 * graphql-js reports bad variables ("NaN" for a Float) and graphql-armor its limits without a
 * code; clients branch on `extensions.code`, so every such refusal becomes BAD_USER_INPUT.
 */
export function useInputErrorCodes(): Plugin {
  // Nothing ran (no `data`): by the GraphQL-over-HTTP spec such a refusal is a 400, not a 200.
  const withCode = (error: GraphQLError) =>
    error.extensions?.code
      ? error
      : new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions: withStatus(error.extensions) });
  const withStatus = (extensions: GraphQLError['extensions']) => {
    const http = (extensions?.http as { status?: number } | undefined) ?? { status: 400 };
    return { ...extensions, code: http.status === 403 ? 'FORBIDDEN' : 'BAD_USER_INPUT', http };
  };
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      if ('data' in result && result.data !== undefined) return;
      setResult({ ...result, errors: result.errors.map((e) => withCode(e as GraphQLError)) });
    },
  };
}
