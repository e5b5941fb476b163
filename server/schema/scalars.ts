import { GraphQLError, Kind } from 'graphql';
import { builder } from '../builder';

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  // Postgres timestamps span years 4713 BC to 294276 AD; a school needs far less.
  const year = date?.getUTCFullYear() ?? NaN;
  if (!date || Number.isNaN(date.getTime()) || year < 1900 || year > 9999) {
    throw new GraphQLError(
      'DateTime must be an ISO-8601 string between the years 1900 and 9999, e.g. "2026-01-31T09:00:00Z"',
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp, e.g. "2026-01-31T09:00:00.000Z".',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

export const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});
