import { badInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is refused before it reaches the database. */
export function parseId(value: string | number, field = 'id'): string {
  const id = String(value);
  if (!UUID.test(id)) throw badInput(`${field} is not a valid id`, field);
  return id.toLowerCase();
}

/** Trimmed text with a length range, with an error naming the field. */
export function text(value: string, field: string, { min = 1, max = 10_000 } = {}): string {
  // Postgres text cannot hold NUL; refuse it here rather than fail in the database.
  if (value.includes('\u0000')) throw badInput(`${field} must not contain NUL characters`, field);
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max) {
    throw badInput(
      min > 0 && trimmed.length === 0 ? `${field} must not be empty` : `${field} must be ${min} to ${max} characters`,
      field,
    );
  }
  return trimmed;
}

export function finiteNumber(value: number, field: string, { min = -Infinity, max = Infinity } = {}): number {
  if (!Number.isFinite(value) || value < min || value > max)
    throw badInput(`${field} must be a number from ${min} to ${max}`, field);
  return value;
}
