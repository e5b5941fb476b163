import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { badInput } from './errors';
import { maskResultErrors } from './mask-errors';

/** Live frames skip Yoga's plugins: the masking they get instead must match what Yoga does. */
describe('maskResultErrors', () => {
  const logged: unknown[] = [];
  const log = { error: (fields: unknown) => logged.push(fields) } as never;

  it('masks an unexpected error (its message could leak internals) and logs the original', () => {
    const internal = new GraphQLError('connect ECONNREFUSED 10.0.0.7:5432', {
      path: ['gradeChanged', 'grade'],
      originalError: new Error('connect ECONNREFUSED 10.0.0.7:5432'),
    });
    const result = maskResultErrors({ data: { gradeChanged: null }, errors: [internal] }, log);
    expect(result.errors![0].message).toBe('Unexpected error.');
    expect(result.errors![0].extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    expect(result.data).toEqual({ gradeChanged: null });
    expect(logged.length).toBe(1);
  });

  it('keeps errors meant for clients as they are', () => {
    const mine = badInput('after is not a cursor from this API', 'after');
    const result = maskResultErrors({ errors: [mine] }, log);
    expect(result.errors![0]).toBe(mine);
  });

  it('returns a result without errors untouched', () => {
    const ok = { data: { gradeChanged: { cursor: '1.1' } } };
    expect(maskResultErrors(ok, log)).toBe(ok);
  });
});
