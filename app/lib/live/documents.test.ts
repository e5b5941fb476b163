import { readFileSync } from 'node:fs';
import { buildSchema, type DocumentNode, parse, print, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { LiveCursorQuery, UpdatesQuery } from './documents';
import { COURSE_TOPICS, TOPICS } from './topics';

const schema = buildSchema(readFileSync(new URL('../../../schema.graphql', import.meta.url), 'utf8'));
/** Validation errors of a document (built by gql.tada or by hand) against schema.graphql. */
const errorsOf = (document: object) => validate(schema, parse(print(document as DocumentNode))).map((e) => e.message);

describe('live documents', () => {
  it('the polling query, built from every topic, is valid against schema.graphql', () => {
    expect(errorsOf(UpdatesQuery)).toEqual([]);
    expect(errorsOf(LiveCursorQuery)).toEqual([]);
  });

  it('asks `updates` for every topic’s event, each with __typename (polled events are told apart by it)', () => {
    const text = print(UpdatesQuery as DocumentNode);
    for (const topic of TOPICS) {
      const [own] = topic.fragment.definitions;
      if (own.kind !== 'FragmentDefinition') throw new Error(`${topic.field}: its fragment comes first`);
      expect(text).toContain(`...${own.name.value}`);
      expect(own.typeCondition.name.value).toBe(topic.type);
      expect(own.selectionSet.selections.some((s) => s.kind === 'Field' && s.name.value === '__typename')).toBe(true);
    }
  });

  it('subscribes each topic to a Subscription field of the schema, `after` the topic’s cursor', () => {
    const fields = schema.getSubscriptionType()!.getFields();
    for (const topic of TOPICS) {
      expect(fields[topic.field]?.args.map((a) => a.name)).toContain('after');
      expect(errorsOf(topic.document)).toEqual([]);
    }
  });

  it('subscribes each per-course topic with its required `courseId` and `after`; `updates` does not carry them', () => {
    const fields = schema.getSubscriptionType()!.getFields();
    const polled = schema.getType('LiveUpdate');
    for (const topic of COURSE_TOPICS) {
      const args = fields[topic.field]?.args ?? [];
      expect(args.find((a) => a.name === 'courseId')?.type.toString()).toBe('ID!');
      expect(args.map((a) => a.name)).toContain('after');
      expect(errorsOf(topic.document)).toEqual([]);
      expect(polled && 'getTypes' in polled ? polled.getTypes().map((t) => t.name) : []).not.toContain(topic.type);
    }
  });
});
