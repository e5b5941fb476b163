import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { buildSchema, type DocumentNode, Kind, validate } from 'graphql';
import * as documents from '../app/lib/documents';
import * as liveDocuments from '../app/lib/live/documents';
import { TOPICS } from '../app/lib/live/topics';

// Every operation the web app sends must be valid against the API's printed schema, so a schema
// change that breaks the app fails here with the operation's name (no browser needed).
test('every web app operation is valid against schema.graphql', () => {
  const schema = buildSchema(readFileSync(join(import.meta.dirname, '..', 'schema.graphql'), 'utf8'));
  const topics = Object.fromEntries(TOPICS.map((t) => [t.field, t.document]));
  const operations = Object.entries({ ...documents, ...liveDocuments, ...topics }).filter(
    ([, doc]) =>
      typeof doc === 'object' && (doc as DocumentNode).definitions?.some((d) => d.kind === Kind.OPERATION_DEFINITION),
  );
  expect(operations.length).toBeGreaterThan(27);
  // The live subscriptions and the polling query ask for the same event fields.
  for (const name of ['gradeChanged', 'notificationReceived', 'UpdatesQuery', 'LiveCursorQuery']) {
    expect(operations.map(([n]) => n)).toContain(name);
  }
  const problems = operations.flatMap(([name, doc]) =>
    validate(schema, doc as DocumentNode).map((e) => `${name}: ${e.message}`),
  );
  expect(problems).toEqual([]);
});
