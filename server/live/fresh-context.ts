import { createSourceEventStream, execute, type ExecutionArgs } from 'graphql';
import { mapAsyncIterator } from 'graphql/execution/mapAsyncIterator.js';
import type { Plugin } from 'graphql-yoga';

/**
 * graphql-js executes every event of a subscription with the one context made at subscribe
 * time, so per-request caches (dataloaders, scope checks) would serve stale rows and stale
 * permissions to later events. This runs each event with a shallow copy of that context.
 */
export function useFreshContextPerEvent(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args.schema, args.document, args.rootValue, args.contextValue, args.variableValues, args.operationName, args.subscribeFieldResolver);
        if (!(Symbol.asyncIterator in source)) return source;
        return mapAsyncIterator(source, (payload) =>
          execute({ ...args, rootValue: payload, contextValue: { ...(args.contextValue as object) } }),
        );
      });
    },
  };
}
