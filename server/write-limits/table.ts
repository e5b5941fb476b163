/**
 * Per-user write limits, one line each: how many of these writes one user may make per window,
 * counted across every API instance (Redis with REDIS_URL, else Postgres). Each root mutation
 * listed counts one, before its resolver runs (server/write-limits/plugin.ts), whatever it writes:
 * `markAllPresent` is one action however many records it marks; two aliased `createPost` in one
 * document count two. A refusal is TOO_MANY_REQUESTS with `retryAfterSeconds` and runs nothing.
 * `WRITE_LIMIT_<NAME>="<writes>/<seconds>"` overrides one.
 *
 * Deleting a post or a comment is not counted: moderators clear spam in bursts, and a deletion
 * adds nothing for others to read.
 */
export const WRITE_LIMITS = {
  posts: { writes: 10, seconds: 60, what: 'posts', mutations: ['createPost', 'updatePost'] },
  comments: { writes: 30, seconds: 60, what: 'comments', mutations: ['createComment', 'updateComment'] },
  votes: { writes: 30, seconds: 60, what: 'votes', mutations: ['castVote'] },
  // A grade sheet or a register filled as fast as one types (or pasted by a script) stays under these.
  grades: { writes: 300, seconds: 60, what: 'grade changes', mutations: ['recordGrade', 'deleteGrade'] },
  attendance: {
    writes: 300,
    seconds: 60,
    what: 'attendance changes',
    mutations: ['recordAttendance', 'markAllPresent'],
  },
  // Counted by sendMessage itself (no mutation listed), after it looked for an earlier send with the
  // same clientMessageId: a retry is answered with that message, not counted.
  messages: { writes: 20, seconds: 10, what: 'messages', mutations: [] },
} as const satisfies Record<string, { writes: number; seconds: number; what: string; mutations: readonly string[] }>;

export type WriteLimitName = keyof typeof WRITE_LIMITS;
/** The effective limits (the table with its environment overrides), from server/env.ts. */
export type WriteLimits = Record<WriteLimitName, { writes: number; seconds: number }>;

export const WRITE_LIMIT_NAMES = Object.keys(WRITE_LIMITS) as WriteLimitName[];

/** `posts` → `WRITE_LIMIT_POSTS`. */
export const writeLimitEnvName = (name: WriteLimitName) => `WRITE_LIMIT_${name.toUpperCase()}`;

const byMutation = new Map<string, WriteLimitName>(
  WRITE_LIMIT_NAMES.flatMap((name) => WRITE_LIMITS[name].mutations.map((field) => [field, name] as const)),
);

/** The limit a root mutation counts against, if any. */
export const writeLimitOf = (mutation: string): WriteLimitName | undefined => byMutation.get(mutation);

/** Reads `"<writes>/<seconds>"` (e.g. `"10/60"`); null when malformed. */
export function parseWriteLimit(value: string): { writes: number; seconds: number } | null {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) return null;
  const writes = Number(match[1]);
  const seconds = Number(match[2]);
  return writes >= 1 && seconds >= 1 ? { writes, seconds } : null;
}
