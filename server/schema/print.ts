import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { minifyIntrospectionQuery } from '@urql/introspection';
import { introspectionFromSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './index';

export const schemaPath = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
/** The schema as graphcache reads it in the browser (types and fields only: ~1/6 of the full introspection). */
export const clientSchemaPath = fileURLToPath(new URL('../../app/lib/offline/schema.json', import.meta.url));

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

export function clientSchema(): string {
  return `${JSON.stringify(minifyIntrospectionQuery(introspectionFromSchema(lexicographicSortSchema(schema))))}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(schemaPath, printedSchema());
  writeFileSync(clientSchemaPath, clientSchema());
  console.log(`wrote ${schemaPath} and ${clientSchemaPath}`);
}
