import { type ExecutionResult, GraphQLError } from 'graphql';
import { createGraphQLError, maskError } from 'graphql-yoga';
import { mapDatabaseError } from './db-errors';
import type { Logger } from './logger';

export const MASKED_MESSAGE = 'Unexpected error.';

/** Errors clients may read as they are; database errors mapped to their meaning; anything else masked. */
export function maskHomeroomError(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const mapped = mapDatabaseError(original);
  if (mapped) {
    const at = error instanceof GraphQLError ? { path: error.path, nodes: error.nodes } : {};
    return createGraphQLError(mapped.message, { ...at, extensions: mapped.extensions });
  }
  return maskError(error, message, isDev);
}

/**
 * The same masking Yoga applies, for results that bypass its plugins (live frames written
 * straight to a socket). Masked originals go to the log, as Yoga does.
 */
export function maskResultErrors(result: ExecutionResult, log: Logger): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    const masked = maskHomeroomError(error, MASKED_MESSAGE);
    if (masked !== error) log.error({ err: error }, 'live event execution failed');
    return masked as GraphQLError;
  });
  return { ...result, errors };
}
