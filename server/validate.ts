import { badInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is refused before it reaches the database. */
export function parseId(value: string | number, field = 'id'): string {
  const id = String(value);
  if (!UUID.test(id)) throw badInput(`${field} is not a valid id`, field);
  return id.toLowerCase();
}

// Control characters (Unicode Cc: C0, DEL, C1) other than tab and newline: never meant in text,
// and NUL is more than Postgres text can hold. CR goes too, so CRLF line ends become LF.
const CONTROL = /[^\P{Cc}\t\n]/gu;
// What shows nothing: whitespace, Unicode's default-ignorable code points (zero-width space and
// joiners, word joiner, BOM, soft hyphen, bidi marks, variation selectors, tags, Hangul fillers)
// and the braille blank, which fonts draw as nothing.
const INVISIBLE = /[\s\p{Default_Ignorable_Code_Point}\u2800]/gu;

/**
 * The one validator of text people write (bodies, titles, questions, options, notes, names, codes):
 * control characters other than newline and tab are removed, whitespace is trimmed from both ends,
 * and a text that shows nothing once invisible characters are set aside counts as empty (refused
 * when `min` > 0, '' otherwise). The length range applies to what is kept, in UTF-16 units.
 * Invisible characters inside visible text stay: emoji sequences and scripts need joiners.
 */
export function text(value: string, field: string, { min = 1, max = 10_000 } = {}): string {
  const kept = value.replace(CONTROL, '').trim();
  if (kept.replace(INVISIBLE, '').length === 0) {
    if (min > 0) throw badInput(`${field} must not be empty`, field);
    return '';
  }
  if (kept.length < min || kept.length > max) throw badInput(`${field} must be ${min} to ${max} characters`, field);
  return kept;
}

/**
 * A new password, exactly as typed (sign-in compares it as typed: trimming or cleaning it here
 * would set a password nobody can type), 8 to 1024 characters.
 */
export function password(value: string, field: string): string {
  if (value.length < 8 || value.length > 1024) throw badInput(`${field} must be 8 to 1024 characters`, field);
  return value;
}

export function finiteNumber(value: number, field: string, { min = -Infinity, max = Infinity } = {}): number {
  if (!Number.isFinite(value) || value < min || value > max)
    throw badInput(`${field} must be a number from ${min} to ${max}`, field);
  return value;
}
