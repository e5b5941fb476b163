import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import type { Database } from '../../db/client';
import type { Viewer } from '../auth/access';
import type { WriteLimiter } from './limiter';
import { writeLimitOf } from './table';

type LimitedContext = { viewer: Viewer | null; db: Database; writeLimiter: WriteLimiter };

/**
 * Counts each root mutation named in WRITE_LIMITS against its limit before its resolver runs.
 * Listed after scope-auth, so it runs after the authorization checks: a refused caller spends
 * nothing. It runs inside a keyed mutation's transaction, so a replayed Idempotency-Key (answered
 * without running anything) is not counted, and a refusal keeps the key free for the retry.
 */
export class WriteLimitsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.parentType !== 'Mutation') return resolver;
    const limit = writeLimitOf(fieldConfig.name);
    if (!limit) return resolver;
    return async (parent, args, context, info) => {
      const ctx = context as LimitedContext;
      if (ctx.viewer) await ctx.writeLimiter.consume(limit, ctx.viewer.id, ctx.db);
      return resolver(parent, args, context, info);
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      writeLimits: WriteLimitsPlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin('writeLimits', WriteLimitsPlugin);
