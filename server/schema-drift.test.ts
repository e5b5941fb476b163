import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema, schemaPath } from './schema/print';

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
});
