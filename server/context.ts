import type { Database } from '../db/client';
import { type Access, createAccess, type Viewer } from './auth/access';
import type { LoginLimiter } from './auth/login-limiter';
import type { TokenService } from './auth/tokens';
import type { Live } from './live';

export type Context = ContextDeps & {
  viewer: Viewer | null;
  /** Why a presented token was refused; lets errors say "token expired" rather than "sign in". */
  authError: 'expired' | 'invalid' | null;
  /** The raw bearer token presented, for `renewToken`. */
  token: string | null;
  /** When the presented (valid) token expires: live streams end then, on every transport. */
  tokenExpiresAt: Date | null;
  access: Access;
  /** The client's address, for rate limits. */
  clientAddress: string;
  /** Set on graphql-ws: closes the socket with a code clients retry on (slow consumers). */
  closeSlowSocket?: () => void;
};

export type ContextDeps = { db: Database; tokens: TokenService; live: Live; loginLimiter: LoginLimiter };

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
 * options object spread in) is paid for by every open subscription.
 */
export async function createContext(
  deps: ContextDeps,
  token: string | null,
  transport: { clientAddress: string; closeSlowSocket?: () => void },
): Promise<Context> {
  let viewer: Viewer | null = null;
  let authError: Context['authError'] = null;
  let tokenExpiresAt: Date | null = null;
  if (token) {
    const check = await deps.tokens.verify(token);
    if (check.ok) {
      viewer = { id: check.claims.userId, role: check.claims.role };
      tokenExpiresAt = check.claims.expiresAt;
    } else authError = check.reason;
  }
  return {
    db: deps.db,
    tokens: deps.tokens,
    live: deps.live,
    loginLimiter: deps.loginLimiter,
    clientAddress: transport.clientAddress,
    closeSlowSocket: transport.closeSlowSocket,
    viewer,
    authError,
    token,
    tokenExpiresAt,
    access: createAccess(deps.db, viewer),
  };
}
