import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schema } from '.';
import { clientSchema, clientSchemaPath, printedSchema, schemaPath } from './print';

describe('schema.graphql', () => {
  it('matches the schema the server builds (run `npm run schema:print` after changing server/schema)', () => {
    const committed = readFileSync(schemaPath, 'utf8');
    const printed = printedSchema();
    if (committed !== printed) {
      const a = committed.split('\n');
      const b = printed.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      expect.fail(
        [
          'schema.graphql is out of date with server/schema: run `npm run schema:print` and commit schema.graphql.',
          `First difference at line ${line + 1}:`,
          `  schema.graphql: ${JSON.stringify(a[line] ?? '<end of file>')}`,
          `  printed:        ${JSON.stringify(b[line] ?? '<end of file>')}`,
        ].join('\n'),
      );
    }
    expect(committed).toBe(printed);
  });

  it('app/lib/offline/schema.json (graphcache in the browser) matches it too (run `npm run schema:print`)', () => {
    expect(readFileSync(clientSchemaPath, 'utf8') === clientSchema()).toBe(true);
  });
});

describe('PRODUCT.md "The API at a glance": the fixed names exist (extra fields and arguments are fine)', () => {
  type Expected = { type: string; args: Record<string, string> };
  const fixed: Record<string, Expected> = {
    'Query.me': { type: 'User', args: {} },
    'Query.courses': { type: '[Course!]!', args: {} },
    'Query.course': { type: 'Course', args: { id: 'ID!' } },
    'Query.notifications': { type: 'NotificationConnection!', args: { first: 'Int', after: 'String' } },
    'Query.liveCursor': { type: 'String!', args: {} },
    'Query.updates': { type: 'UpdatesPage!', args: { after: 'String!', courseId: 'ID' } },
    'Mutation.login': { type: 'AuthPayload!', args: { email: 'String!', password: 'String!' } },
    'Mutation.renewToken': { type: 'AuthPayload!', args: {} },
    'Mutation.recordGrade': {
      type: 'Grade!',
      args: { assessmentId: 'ID!', studentId: 'ID!', score: 'Float!', note: 'String' },
    },
    'Mutation.deleteGrade': { type: 'Grade!', args: { id: 'ID!' } },
    'Mutation.recordAttendance': {
      type: 'AttendanceRecord!',
      args: { sessionId: 'ID!', studentId: 'ID!', status: 'AttendanceStatus!' },
    },
    'Mutation.openPoll': {
      type: 'Poll!',
      args: { courseId: 'ID!', question: 'String!', options: '[String!]!', closesAt: 'DateTime' },
    },
    'Mutation.castVote': { type: 'Poll!', args: { pollId: 'ID!', optionId: 'ID!' } },
    'Mutation.closePoll': { type: 'Poll!', args: { id: 'ID!' } },
    'Mutation.createPost': { type: 'Post!', args: { courseId: 'ID!', body: 'String!', announcement: 'Boolean' } },
    'Mutation.createComment': { type: 'Comment!', args: { postId: 'ID!', body: 'String!' } },
    'Mutation.markNotificationRead': { type: 'Notification!', args: { id: 'ID!' } },
    'Subscription.gradeChanged': { type: 'GradeEvent!', args: { courseId: 'ID', after: 'String' } },
    'Subscription.attendanceChanged': { type: 'AttendanceEvent!', args: { courseId: 'ID', after: 'String' } },
    'Subscription.pollChanged': { type: 'PollEvent!', args: { courseId: 'ID', pollId: 'ID', after: 'String' } },
    'Subscription.contentAvailable': { type: 'ContentAvailableEvent!', args: { courseId: 'ID', after: 'String' } },
    'Subscription.notificationReceived': { type: 'NotificationEvent!', args: { after: 'String' } },
  };
  it.each(Object.entries(fixed))('%s', (name, expected) => {
    const [typeName, fieldName] = name.split('.');
    const type = schema.getType(typeName);
    const field =
      type && 'getFields' in type
        ? (type.getFields() as Record<string, { type: unknown; args?: { name: string; type: unknown }[] }>)[fieldName]
        : undefined;
    expect(field, `${name} is missing`).toBeDefined();
    expect(String(field!.type)).toBe(expected.type);
    const args = Object.fromEntries((field!.args ?? []).map((a) => [a.name, String(a.type)]));
    expect(args).toMatchObject(expected.args);
  });
});
