import { type DocumentNode, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../schema';
import type { LiveEvent } from './event';
import { factsOf, PER_STUDENT, subscribeShared } from './shared-execution';
import type { LiveMessage } from './stream';

describe('shared execution keys', () => {
  it('ignore the variables that only choose events (`courseId`, `after`): resumed subscribers still share', () => {
    const facts = factsOf(
      schema,
      parse(
        'subscription ($c: ID, $after: String) { gradeChanged(courseId: $c, after: $after) { cursor grade { id score } } }',
      ),
    );
    expect(facts.resultVariables).toEqual([]);
    expect(facts.perViewer).toBeNull();
  });

  it('keep the variables that shape results, in fields, directives and fragments', () => {
    const facts = factsOf(
      schema,
      parse(`subscription ($c: ID, $withNote: Boolean!, $x: Boolean!) {
        gradeChanged(courseId: $c) @include(if: $x) { cursor grade { id note @include(if: $withNote) ...F } }
      }
      fragment F on Grade { student { name @skip(if: $x) } }`),
    );
    expect(facts.resultVariables).toEqual(['withNote', 'x']);
  });

  it('know viewer-dependent fields from their declaration, not their name, fragments included', () => {
    const facts = (query: string) => factsOf(schema, parse(query)).perViewer;
    expect(facts('subscription { pollChanged { poll { id myVote } } }')).toBe('students');
    expect(facts('subscription { pollChanged { ...P } } fragment P on PollEvent { poll { myVote } }')).toBe('students');
    expect(facts('subscription { gradeChanged { grade { id } standing { average } } }')).toBeNull();
  });
});

describe('a viewer-dependent field in a shared execution', () => {
  // A schema of its own: one live field whose resolver reads the viewer. Nothing about its name
  // says so; only the declaration (extensions) can.
  const secrets: Record<string, string> = { ada: "ada's grade", sam: "sam's grade" };
  const runs = { undeclared: 0, declared: 0 };
  const Thing = new GraphQLObjectType({
    name: 'Thing',
    fields: {
      undeclared: {
        type: GraphQLString,
        resolve: (_m, _a, ctx: { viewer: { id: string } }) => ((runs.undeclared += 1), secrets[ctx.viewer.id] ?? null),
      },
      declared: {
        type: GraphQLString,
        extensions: PER_STUDENT,
        resolve: (_m, _a, ctx: { viewer: { id: string } }) => ((runs.declared += 1), secrets[ctx.viewer.id] ?? null),
      },
    },
  });
  const event: LiveEvent = {
    cursor: '2.1',
    prev: null,
    topic: 'thing',
    action: 'UPDATED',
    courseId: 'c1',
    audienceUserId: null,
    entityId: 'e1',
    data: {},
    occurredAt: new Date(0).toISOString(),
  };
  // Both students of the course receive the same event object, shareable among students.
  const message: LiveMessage = { kind: 'event', topic: 'thing', event, batch: [event], shareScope: 'STUDENT' };
  const testSchema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        thing: {
          type: Thing,
          subscribe: async function* () {
            yield message;
          },
          resolve: (m) => m,
        },
      },
    }),
  });

  // Parsed once: Yoga's parser cache hands every subscriber of the same query the same document.
  async function firstResult(document: DocumentNode, viewerId: string) {
    const viewer = { id: viewerId, role: 'STUDENT' };
    const stream = await subscribeShared({
      schema: testSchema,
      document,
      contextValue: { viewer, access: null },
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error(JSON.stringify(stream));
    const { value } = await stream.next();
    await stream.return?.();
    return value.data.thing;
  }

  it('undeclared: cannot leak the first subscriber’s data to the next — shared runs see nobody', async () => {
    const query = parse('subscription { thing { undeclared } }');
    const [ada, sam] = [await firstResult(query, 'ada'), await firstResult(query, 'sam')];
    expect(runs.undeclared).toBe(1); // executed once, for both
    expect(ada).toEqual({ undeclared: null });
    expect(sam).toEqual({ undeclared: null });
  });

  it('declared: executed per student, each sees their own', async () => {
    const query = parse('subscription { thing { declared } }');
    const [ada, sam] = [await firstResult(query, 'ada'), await firstResult(query, 'sam')];
    expect(runs.declared).toBe(2);
    expect(ada).toEqual({ declared: "ada's grade" });
    expect(sam).toEqual({ declared: "sam's grade" });
  });
});
