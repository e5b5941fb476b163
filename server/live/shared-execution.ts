import {
  type ASTNode,
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLSchema,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { mapAsyncIterator } from 'graphql/execution/mapAsyncIterator.js';
import type { Plugin } from 'graphql-yoga';
import { Access, type CourseRole } from '../auth/access';
import { memo } from './memo';
import { type Executor, type Payload, type Prepare, payloadOf } from './payload';
import { type LiveMessage, LiveStream } from './stream';

/**
 * How a field's value depends on who asks, declared on the field (`extensions`), for live
 * executions shared between subscribers:
 * - `students`: each student sees their own (`myVote`, a student's filtered `grades`), while all
 *   staff of the course see the same;
 * - `everyone`: it depends on the individual whatever their role.
 * A document that selects such a field is executed per subscriber where it matters. A field that
 * reads the viewer without saying so cannot leak either: shared executions run as nobody in
 * particular (`sharedContext`), so it sees no one's data.
 */
export type PerViewer = 'students' | 'everyone';
export const PER_STUDENT = { perViewer: 'students' } as const satisfies { perViewer: PerViewer };
export const PER_VIEWER = { perViewer: 'everyone' } as const satisfies { perViewer: PerViewer };

type DocumentFacts = {
  id: number;
  /** The strongest per-viewer dependence among the fields it selects. */
  perViewer: PerViewer | null;
  /**
   * The variables an event's result can depend on: all but those only used in the subscription
   * field's own arguments (`courseId`, `after`), which choose events but do not shape results —
   * clients that resume from different cursors still share executions.
   */
  resultVariables: string[];
};

const facts = new WeakMap<DocumentNode, DocumentFacts>();
let nextDocumentId = 0;

/** Yoga's parser cache hands every subscriber of the same query the same document object. */
export function factsOf(schema: GraphQLSchema, document: DocumentNode): DocumentFacts {
  let known = facts.get(document);
  if (known) return known;
  let perViewer: PerViewer | null = null;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const declared = typeInfo.getFieldDef()?.extensions?.perViewer as PerViewer | undefined;
        if (declared === 'everyone' || (declared === 'students' && perViewer === null)) perViewer = declared;
      },
    }),
  );
  const variables = new Set<string>();
  const collect = (node: ASTNode) => visit(node, { Variable: (variable) => void variables.add(variable.name.value) });
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) {
      collect(definition);
      continue;
    }
    for (const directive of definition.directives ?? []) collect(directive);
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) collect(selection);
      else {
        for (const directive of selection.directives ?? []) collect(directive);
        if (selection.selectionSet) collect(selection.selectionSet);
      }
    }
  }
  known = { id: ++nextDocumentId, perViewer, resultVariables: [...variables].sort() };
  facts.set(document, known);
  return known;
}

/** No user has this id: per-viewer lookups made in a shared execution find nothing. */
export const NOBODY = '00000000-0000-0000-0000-000000000000';

/**
 * The context a shared execution runs with: the subscriber's, with the viewer replaced by nobody
 * in particular holding the share scope's role in the event's course. Whoever happens to run it
 * first, its result holds only what every subscriber of that scope may see.
 */
export function sharedContext<C extends { viewer: unknown; access: unknown }>(
  context: C,
  scope: CourseRole,
  courseId: string | null,
): C {
  const viewer = { id: NOBODY, role: scope };
  return { ...context, viewer, access: Access.fixed(viewer, courseId, scope), token: null };
}

/** Share keys per scope (a role) for one document and result variables; shared by all its subscriptions. */
type ScopeKeys = { base: string; exec: Map<string, string>; frame: Map<string, string> };
const scopeKeys = new Map<string, ScopeKeys>();
/** Distinct (document, result variables) pairs kept; past it the cache starts over (keys are rebuilt on demand). */
const MAX_SCOPE_KEYS = 10_000;

function scopeKeysFor(base: string): ScopeKeys {
  let keys = scopeKeys.get(base);
  if (!keys) {
    if (scopeKeys.size >= MAX_SCOPE_KEYS) scopeKeys.clear();
    scopeKeys.set(base, (keys = { base, exec: new Map(), frame: new Map() }));
  }
  return keys;
}

/**
 * Runs each event of one subscription: with a shallow copy of the subscribe-time context, so
 * per-request caches (dataloaders, scope checks) never serve stale rows or stale permissions to a
 * later event; and once per event for all subscribers of this instance that share the document,
 * the result-shaping variables and the share scope (their role in the course).
 */
class SubscriptionExecutor implements Executor {
  private readonly perViewer: PerViewer | null;
  private readonly keys: ScopeKeys;

  constructor(private readonly args: ExecutionArgs) {
    const { id, perViewer, resultVariables } = factsOf(args.schema, args.document);
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const given = resultVariables
      .filter((name) => variables[name] !== undefined)
      .map((name) => [name, variables[name]]);
    this.perViewer = perViewer;
    this.keys = scopeKeysFor(`${id}|${args.operationName ?? ''}|${JSON.stringify(given)}|`);
  }

  private run(message: LiveMessage, shared: boolean) {
    const context = this.args.contextValue as { viewer: unknown; access: unknown };
    const contextValue =
      shared && message.kind === 'event'
        ? sharedContext(context, message.shareScope as CourseRole, message.event.courseId)
        : { ...context };
    return execute({ ...this.args, rootValue: message, contextValue });
  }

  /** The key subscribers share this message's execution under, or null when it is theirs alone. */
  private shareKey(message: LiveMessage, kind: 'exec' | 'frame'): string | null {
    if (message.kind !== 'event' || message.shareScope === null) return null;
    if (this.perViewer === 'everyone' || (this.perViewer === 'students' && message.shareScope === 'STUDENT'))
      return null;
    const byScope = this.keys[kind];
    let key = byScope.get(message.shareScope);
    if (!key) byScope.set(message.shareScope, (key = `${kind}|${this.keys.base}${message.shareScope}`));
    return message.batch.length > 1 ? `${key}|${message.batch[0].cursor}-${message.batch.length}` : key;
  }

  payloadFor(message: LiveMessage, prepare: Prepare): Payload {
    const key = this.shareKey(message, 'frame');
    if (key === null || message.kind !== 'event') return payloadOf(this.run(message, false), prepare);
    return memo(message.event, key, () => payloadOf(this.run(message, true), prepare));
  }

  execute(message: LiveMessage): ExecutionResult | Promise<ExecutionResult> {
    const key = this.shareKey(message, 'exec');
    if (key === null || message.kind !== 'event') return this.run(message, false);
    return memo(message.event, key, () => this.run(message, true));
  }
}

/** How a transport that writes results itself takes a live stream (graphql-ws: server/transport/frames.ts). */
export type PushTo = (stream: LiveStream, executor: Executor) => AsyncIterableIterator<ExecutionResult>;

/**
 * Replaces graphql-js's subscribe: shared execution (above), and with `push` the transport takes
 * the live stream and writes its results itself instead of iterating them one at a time.
 */
export async function subscribeShared(
  args: ExecutionArgs,
  push?: PushTo,
): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> {
  const source = await createSourceEventStream(
    args.schema,
    args.document,
    args.rootValue,
    args.contextValue,
    args.variableValues,
    args.operationName,
    args.subscribeFieldResolver,
  );
  if (!(Symbol.asyncIterator in source)) return source;
  const executor = new SubscriptionExecutor(args);
  if (push && source instanceof LiveStream) return push(source, executor);
  return mapAsyncIterator(source as AsyncIterable<LiveMessage>, (message) =>
    executor.execute(message),
  ) as AsyncIterableIterator<ExecutionResult>;
}

/** For Yoga's own transports (HTTP, SSE, multipart); graphql-ws calls `subscribeShared` directly. */
export function useSharedSubscriptionExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn((args) => subscribeShared(args));
    },
  };
}
