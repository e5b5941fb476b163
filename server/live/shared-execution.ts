import {
  type ASTNode,
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  Kind,
  visit,
} from 'graphql';
import { mapAsyncIterator } from 'graphql/execution/mapAsyncIterator.js';
import type { Plugin } from 'graphql-yoga';
import { type Executor, type FrameTarget, type Payload, payloadOf, sendFrames } from './frames';
import { memo } from './memo';
import { type LiveMessage, LiveStream } from './stream';

/**
 * Fields whose value depends on who asks, beyond their role in the course: a student's `my*`
 * fields, and lists a student sees filtered to their own rows.
 */
const VIEWER_FIELDS = new Set([
  'me',
  'myVote',
  'myGrade',
  'myRecord',
  'myStanding',
  'myAttendanceTotals',
  'grades',
  'records',
  'standings',
  'attendanceTotals',
  'notifications',
  'unreadNotificationCount',
]);

type DocumentFacts = {
  id: number;
  /** Selects fields whose value depends on the viewer (see VIEWER_FIELDS). */
  personal: boolean;
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
export function factsOf(document: DocumentNode): DocumentFacts {
  let known = facts.get(document);
  if (known) return known;
  let personal = false;
  const variables = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      Field(field) {
        if (VIEWER_FIELDS.has(field.name.value)) personal = true;
      },
      Variable(variable) {
        variables.add(variable.name.value);
      },
    });
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
  known = { id: ++nextDocumentId, personal, resultVariables: [...variables].sort() };
  facts.set(document, known);
  return known;
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
  private readonly personal: boolean;
  private readonly keys: ScopeKeys;

  constructor(private readonly args: ExecutionArgs) {
    const { id, personal, resultVariables } = factsOf(args.document);
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const given = resultVariables
      .filter((name) => variables[name] !== undefined)
      .map((name) => [name, variables[name]]);
    this.personal = personal;
    this.keys = scopeKeysFor(`${id}|${args.operationName ?? ''}|${JSON.stringify(given)}|`);
  }

  private run(message: LiveMessage) {
    return execute({ ...this.args, rootValue: message, contextValue: { ...(this.args.contextValue as object) } });
  }

  /** The key subscribers share this message's execution under, or null when it is theirs alone. */
  private shareKey(message: LiveMessage, kind: 'exec' | 'frame'): string | null {
    if (message.kind !== 'event' || message.shareScope === null || (this.personal && message.shareScope === 'STUDENT'))
      return null;
    const byScope = this.keys[kind];
    let key = byScope.get(message.shareScope);
    if (!key) byScope.set(message.shareScope, (key = `${kind}|${this.keys.base}${message.shareScope}`));
    return message.batch.length > 1 ? `${key}|${message.batch[0].cursor}-${message.batch.length}` : key;
  }

  payloadFor(message: LiveMessage, prepare: FrameTarget['prepare']): Payload {
    const key = this.shareKey(message, 'frame');
    if (key === null || message.kind !== 'event') return payloadOf(this.run(message), prepare);
    return memo(message.event, key, () => payloadOf(this.run(message), prepare));
  }

  execute(message: LiveMessage): ExecutionResult | Promise<ExecutionResult> {
    const key = this.shareKey(message, 'exec');
    if (key === null || message.kind !== 'event') return this.run(message);
    return memo(message.event, key, () => this.run(message));
  }
}

/**
 * Replaces graphql-js's subscribe: shared execution (above) and, on graphql-ws, frames written
 * straight to the socket (see frames.ts) when the transport put a `liveFrames` target on the context.
 */
export async function subscribeShared(
  args: ExecutionArgs,
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
  const target = (args.contextValue as { liveFrames?: FrameTarget }).liveFrames;
  if (target && source instanceof LiveStream) return sendFrames(source, executor, target);
  return mapAsyncIterator(source as AsyncIterable<LiveMessage>, (message) =>
    executor.execute(message),
  ) as AsyncIterableIterator<ExecutionResult>;
}

/** For Yoga's own transports (HTTP, SSE); graphql-ws calls `subscribeShared` directly. */
export function useSharedSubscriptionExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeShared);
    },
  };
}
