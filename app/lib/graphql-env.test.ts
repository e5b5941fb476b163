import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOutput } from '@gql.tada/cli-utils';
import { describe, expect, it } from 'vitest';

const committedPath = fileURLToPath(new URL('./graphql-env.d.ts', import.meta.url));

describe('app/lib/graphql-env.d.ts', () => {
  it('is generated from schema.graphql (run `npm run schema:print` after changing the schema)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeroom-graphql-env-'));
    try {
      const output = join(dir, 'graphql-env.d.ts');
      // Reads tsconfig.json's @0no-co/graphqlsp entry: the schema it names is schema.graphql.
      await generateOutput({ output, tsconfig: undefined, silent: true });
      const fresh = readFileSync(output, 'utf8');
      expect(
        readFileSync(committedPath, 'utf8') === fresh,
        'app/lib/graphql-env.d.ts is out of date with schema.graphql: run `npm run schema:print` and commit it',
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
