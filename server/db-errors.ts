import type { GraphQLError } from 'graphql';
import postgres from 'postgres';
import { badInput, notFound } from './errors';

// One place that turns expected Postgres failures into errors a client can act on.
const byConstraint: Record<string, () => GraphQLError> = {
  grades_score_check: () => badInput('Score must be zero or more', 'score'),
  grades_score_max_check: () => badInput('Score is above the maximum for this assessment', 'score'),
  users_email_key: () => badInput('A user with that email already exists', 'email'),
  courses_code_key: () => badInput('A course with that code already exists', 'code'),
  posts_body_check: () => badInput('Body must be 1 to 10000 characters', 'body'),
  comments_body_check: () => badInput('Body must be 1 to 5000 characters', 'body'),
  assessments_max_score_check: () => badInput('Maximum score must be above zero', 'maxScore'),
  assessments_weight_check: () => badInput('Weight must be zero or more', 'weight'),
};

export function mapDatabaseError(thrown: unknown): GraphQLError | undefined {
  // drizzle wraps driver errors in DrizzleQueryError with the original as `cause`.
  const error = thrown instanceof postgres.PostgresError ? thrown : (thrown as { cause?: unknown } | null)?.cause;
  if (!(error instanceof postgres.PostgresError)) return undefined;
  const known = error.constraint_name ? byConstraint[error.constraint_name] : undefined;
  if (known) return known();
  switch (error.code) {
    case '22P02': // invalid_text_representation, e.g. a malformed uuid
      return badInput('Malformed id or value');
    case '23503': // foreign_key_violation
      return notFound('Referenced record');
    case '23505': // unique_violation
      return badInput('That already exists');
    case '23514': // check_violation
      return badInput('A value is out of range');
    case '22001': // string_data_right_truncation
      return badInput('A value is too long');
    default:
      return undefined;
  }
}
