// The `graphql` tag every document in the web app is written with. gql.tada reads each document
// against the schema (./graphql-env.d.ts, generated from schema.graphql by `npm run schema:print`)
// and infers its result and variables types, so `npm run typecheck` fails when a document asks
// for something the schema does not have, and a selection's type follows the document.
//
// Fragments are not masked: graphcache normalises entities anyway, and every view reads the
// fields its own document spreads (masking would add readFragment calls without a reader).
import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  disableMasking: true;
  scalars: { DateTime: string; ID: string };
}>();

export type { FragmentOf, ResultOf, TadaDocumentNode, VariablesOf } from 'gql.tada';
