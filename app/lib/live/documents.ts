// The live connection's own HTTP documents: the starting cursor, and the polling query that returns
// the events of every topic (./topics) since a cursor. Each topic's fragment is spread into
// `updates`, so a polled event is shaped exactly like a pushed one and runs through the same
// graphcache updaters.
import { type DefinitionNode, parse } from '@0no-co/graphql.web';
import type { TypedDocumentNode } from '@urql/core';
import { graphql } from '../graphql';
import { type LiveEvent, TOPICS } from './topics';

export const LiveCursorQuery = graphql(`query LiveCursor { liveCursor }`);

export type UpdatesData = {
  updates: { cursor: string; hasMore: boolean; resyncRequired: boolean; events: LiveEvent[] };
};
export type UpdatesVariables = { after: string; first?: number | null };

/**
 * `updates` with every topic's fragment. Built from TOPICS (so a new topic needs no edit here),
 * hence not inferred by gql.tada: its type is stated above, and app/lib/live/documents.test.ts
 * validates the document against schema.graphql.
 */
function updatesQuery(): TypedDocumentNode<UpdatesData, UpdatesVariables> {
  const fragments = new Map<string, DefinitionNode>();
  for (const topic of TOPICS)
    for (const d of topic.fragment.definitions) if (d.kind === 'FragmentDefinition') fragments.set(d.name.value, d);
  const spreads = TOPICS.map((t) => {
    const [own] = t.fragment.definitions;
    return own.kind === 'FragmentDefinition' ? `...${own.name.value}` : '';
  }).join(' ');
  const operation = parse(`query LiveUpdates($after: String!, $first: Int) {
    updates(after: $after, first: $first) { cursor hasMore resyncRequired events { __typename ${spreads} } }
  }`);
  return { ...operation, definitions: [...operation.definitions, ...fragments.values()] };
}

export const UpdatesQuery = updatesQuery();
