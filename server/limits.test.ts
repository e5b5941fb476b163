/**
 * Query limits (server/limits.ts) over HTTP, in-process: aliases, depth, cost, tokens. (Every limit on every transport, from just under it: server/transport/limits.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, codes, SAM, startApi } from '../test/api/api';

let api: ApiHarness;
const token = (email: string) => api.tokenFor(email);

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api?.stop());

describe('query limits', () => {
  it('refuses more aliases than QUERY_MAX_ALIASES (30) with BAD_USER_INPUT, and runs 30', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const allowed = await api.gql(aliases(30), {}, await token(SAM));
    expect(allowed.errors).toBeUndefined();
    expect(Object.keys(allowed.data)).toHaveLength(30);
    const result = await api.gql(aliases(31), {}, await token(SAM));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/alias/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses a query nested deeper than QUERY_MAX_DEPTH (12) with BAD_USER_INPUT', async () => {
    // course → posts → edges → node → course → … : 3 rounds are depth 13.
    let selection = 'id';
    for (let i = 0; i < 3; i++) selection = `posts(first: 1) { edges { node { course { ${selection} } } } }`;
    const result = await api.gql(
      `query($id: ID!) { course(id: $id) { ${selection} } }`,
      { id: api.f.course('MATH101').id },
      await token(SAM),
    );
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/depth/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses an expensive query (cost over QUERY_MAX_COST) with BAD_USER_INPUT before running it', async () => {
    let selection = 'id';
    for (let i = 0; i < 2; i++)
      selection = `posts(first: 100) { edges { node { comments { author { id } } course { id ${selection} } } } }`;
    const result = await api.gql(`{ courses { ${selection} } }`, {}, await token(SAM));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/cost/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses a huge document (token limit) with BAD_USER_INPUT', async () => {
    const result = await api.gql(
      `{ ${Array.from({ length: 3000 }, () => 'me { id }').join(' ')} }`,
      {},
      await token(SAM),
    );
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/token limit/i);
  });
});
