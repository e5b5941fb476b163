import SchemaBuilder, { BasePlugin, isThenable, type SchemaTypes } from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ScopeAuthPlugin, { RequestCache } from '@pothos/plugin-scope-auth';
import type { GraphQLFieldResolver } from 'graphql';
import { authErrorMessages } from './auth/authenticate';
import type { Context } from './context';
import { forbidden, unauthenticated } from './errors';
import './write-limits/plugin';

/**
 * Drops scope-auth's per-request cache (resolved scopes, grants) once a subscription's `subscribe`
 * has run. The cache hangs off the context, which a live subscription keeps for its whole life,
 * yet nothing reads it after subscribing: events run with their own copy of the context
 * (live/shared-execution.ts). Runs inside scope-auth's wrapper, so after every check.
 */
class ReleaseSubscribeCachePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (!subscribe) return subscribe;
    return (parent, args, context, info) => {
      const result = subscribe(parent, args, context, info);
      if (!isThenable(result)) {
        RequestCache.clearForContext(context);
        return result;
      }
      return Promise.resolve(result).finally(() => RequestCache.clearForContext(context));
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      releaseSubscribeCache: ReleaseSubscribeCachePlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin('releaseSubscribeCache', ReleaseSubscribeCachePlugin);

/**
 * A context's scopes (scope-auth calls the parameterised ones as methods of this object): one
 * object per operation, its methods shared, where an object literal made three closures each
 * (~2 KiB of garbage per operation under tsx's keepNames, which names every closure).
 */
class Scopes {
  readonly signedIn: boolean;
  readonly admin: boolean;
  /** Instructors and admins (course-independent actions such as listing users). */
  readonly staff: boolean;

  constructor(private readonly ctx: Context) {
    this.signedIn = ctx.viewer !== null;
    this.admin = ctx.viewer?.role === 'ADMIN';
    this.staff = ctx.viewer?.role === 'ADMIN' || ctx.viewer?.role === 'INSTRUCTOR';
  }

  courseMember(courseId: string) {
    return this.ctx.access.isMember(courseId);
  }

  courseStaff(courseId: string) {
    return this.ctx.access.isStaff(courseId);
  }

  /** The viewer is this user. */
  self(userId: string) {
    return this.ctx.viewer?.id === userId;
  }
}

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    ID: { Input: string; Output: string };
  };
  AuthScopes: {
    signedIn: boolean;
    admin: boolean;
    /** Instructors and admins (course-independent actions such as listing users). */
    staff: boolean;
    courseMember: string;
    courseStaff: string;
    /** The viewer is this user. */
    self: string;
  };
}>({
  // scope-auth first, so every other plugin's fields are already guarded (the last plugin wraps innermost).
  plugins: [ScopeAuthPlugin, DataloaderPlugin, 'releaseSubscribeCache', 'writeLimits'],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => new Scopes(ctx),
    unauthorizedError: (_parent, ctx) => {
      if (ctx.viewer) return forbidden();
      return ctx.authError ? unauthenticated(authErrorMessages[ctx.authError]) : unauthenticated();
    },
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
