import { createSourceEventStream, type DocumentNode, execute, type ExecutionArgs, type ExecutionResult, visit } from 'graphql';
import { mapAsyncIterator } from 'graphql/execution/mapAsyncIterator.js';
import type { Plugin } from 'graphql-yoga';
import { memo } from './memo';
import type { LiveMessage } from './stream';

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

const viewerDependent = new WeakMap<DocumentNode, boolean>();

function selectsViewerFields(document: DocumentNode): boolean {
  let found = viewerDependent.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Field(node) {
        if (VIEWER_FIELDS.has(node.name.value)) found = true;
      },
    });
    viewerDependent.set(document, found);
  }
  return found;
}

/** Identity of a document for sharing: Yoga's parser cache hands every subscriber the same object. */
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;
const documentId = (d: DocumentNode) => documentIds.get(d) ?? (documentIds.set(d, ++nextDocumentId), nextDocumentId);

/**
 * Runs each subscription event, instead of graphql-js's default:
 * - with a shallow copy of the subscribe-time context, so per-request caches (dataloaders, scope
 *   checks) never serve stale rows or stale permissions to a later event;
 * - once per event for all subscribers of this instance that share the document, the variables
 *   and the share scope (their role in the course), instead of once per subscriber.
 */
export function useSharedSubscriptionExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args.schema, args.document, args.rootValue, args.contextValue, args.variableValues, args.operationName, args.subscribeFieldResolver);
        if (!(Symbol.asyncIterator in source)) return source;
        const run = (payload: unknown) => execute({ ...args, rootValue: payload, contextValue: { ...(args.contextValue as object) } });
        const personal = selectsViewerFields(args.document);
        const base = `${documentId(args.document)}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}`;
        return mapAsyncIterator(source, (payload: unknown) => {
          const message = payload as LiveMessage;
          if (message.kind !== 'event' || message.shareScope === null || (personal && message.shareScope === 'STUDENT')) return run(payload);
          const batch = message.batch.length > 1 ? `|${message.batch[0].cursor}-${message.batch.length}` : '';
          return memo(message.event, `exec|${base}|${message.shareScope}${batch}`, () => run(payload) as Promise<ExecutionResult>);
        });
      });
    },
  };
}
