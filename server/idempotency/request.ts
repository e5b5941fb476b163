import { createHash } from 'node:crypto';
import { type DocumentNode, getOperationAST, Kind, type OperationDefinitionNode, print } from 'graphql';

/** The header's name, from the IETF httpapi draft "The Idempotency-Key HTTP Header Field". */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * The key a request carries: the draft's quoted form (`"8e03978e-…"`) or a bare token. Returns
 * `undefined` without a header, `null` for a header that is not 1–255 visible ASCII characters.
 */
export function parseIdempotencyKey(header: string | null | undefined): string | null | undefined {
  if (header === null || header === undefined) return undefined;
  const trimmed = header.trim();
  const key = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  return /^[\x21-\x7e]{1,255}$/.test(key) ? key : null;
}

/** The mutation a document runs, or null for a query, a subscription or an ambiguous document. */
export function mutationOf(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | null {
  const operation = getOperationAST(document, operationName);
  return operation?.operation === 'mutation' ? operation : null;
}

/** True when every root field is one of `names` (sign-in mutations, whose answers are credentials). */
export function onlyFields(operation: OperationDefinitionNode, names: ReadonlySet<string>): boolean {
  return operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && names.has(s.name.value));
}

/**
 * What "the same operation" means: the operation name, the document as graphql-js prints it
 * (whitespace and comments do not count) and the variables with their keys sorted.
 */
export function fingerprintOf(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): string {
  const canonical = JSON.stringify([operationName ?? null, print(document), sortKeys(variables ?? {})]);
  return createHash('sha256').update(canonical).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
