import type { Database } from '../db/client';
import { type Access, createAccess, type Viewer } from './auth/access';
import { type AuthError, type Authentication, authenticate } from './auth/authenticate';
import type { LoginLimiter } from './auth/login-limiter';
import type { TokenService } from './auth/tokens';
import type { Live } from './live';
import type { SlowSocket } from './live/stream';
import type { Ephemeral } from './presence';
import type { WriteLimiter } from './write-limits/limiter';

export type Context = ContextDeps & {
  viewer: Viewer | null;
  /** Why a presented token was refused; lets errors say "token expired" rather than "sign in". */
  authError: AuthError | null;
  /** The server-side session the token names (null without a valid token). */
  sessionId: string | null;
  /** When that session was found active (ms since the epoch). */
  authenticatedAt: number | undefined;
  /** The raw bearer token presented, for `renewToken`. */
  token: string | null;
  /** When the presented (valid) token expires: live streams end then, on every transport. */
  tokenExpiresAt: Date | null;
  access: Access;
  /** The client's address, for rate limits and the sessions list. */
  clientAddress: string;
  /** The client's User-Agent header (HTTP only), for the sessions list. */
  userAgent: string;
  /** Set on graphql-ws: closes the socket with a code clients retry on (slow consumers). */
  slowSocket?: SlowSocket;
};

export type ContextDeps = {
  db: Database;
  tokens: TokenService;
  live: Live;
  loginLimiter: LoginLimiter;
  /** Presence and typing (never in Postgres). */
  ephemeral: Ephemeral;
  /** Per-user write limits (server/write-limits), counted by the Pothos plugin before a mutation runs. */
  writeLimiter: WriteLimiter;
};

/**
 * The same context with every database read and write on `tx` (a keyed mutation's transaction,
 * server/idempotency): one connection, so a request never waits for a second one from the pool.
 */
export function bindToTransaction<C extends Context>(context: C, tx: Database): C {
  return { ...context, db: tx, access: createAccess(tx, context.viewer) };
}

export function bearerToken(header: string | null | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match ? match[1] : null;
}

/**
 * Builds the per-operation context from whatever token the transport carried. Only the fields
 * resolvers use, named one by one: a live subscription keeps its context for its whole life, and
 * Yoga merges this object into the transport's own, so every extra key (say, the caller's whole
 * options object spread in) is paid for by every open subscription — and dearly past V8's limit
 * of properties added one by one: envelop's `Object.assign` onto the transport's context turns it
 * into a dictionary past about 15 keys (`%HasFastProperties`, 2026-12-06). This object is at that
 * edge: one key more cost ~0.6 KiB per idle subscription (bench/idle-heap.ts).
 */
export async function createContext(
  deps: ContextDeps,
  token: string | null,
  transport: {
    clientAddress: string;
    userAgent?: string;
    slowSocket?: SlowSocket;
    /** A socket authenticated its token at connect (and is closed when that changes): not asked again per operation. */
    authenticated?: Authentication;
  },
): Promise<Context> {
  let viewer: Viewer | null = null;
  let authError: Context['authError'] = null;
  let tokenExpiresAt: Date | null = null;
  let sessionId: string | null = null;
  let authenticatedAt: number | undefined;
  if (token) {
    const auth = transport.authenticated ?? (await authenticate(deps, token));
    if (auth.ok) {
      viewer = auth.viewer;
      tokenExpiresAt = auth.expiresAt;
      sessionId = auth.sessionId;
      authenticatedAt = auth.at;
    } else authError = auth.error;
  }
  return {
    db: deps.db,
    tokens: deps.tokens,
    live: deps.live,
    loginLimiter: deps.loginLimiter,
    ephemeral: deps.ephemeral,
    writeLimiter: deps.writeLimiter,
    clientAddress: transport.clientAddress,
    userAgent: transport.userAgent ?? '',
    slowSocket: transport.slowSocket,
    viewer,
    authError,
    sessionId,
    authenticatedAt,
    token,
    tokenExpiresAt,
    access: createAccess(deps.db, viewer),
  };
}
