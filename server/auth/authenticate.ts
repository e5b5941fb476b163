import type { Database } from '../../db/client';
import type { Viewer } from './access';
import type { SessionCache } from './session-cache';
import type { SessionEnd } from './sessions';
import type { TokenService } from './tokens';

/** Why a presented token is not honoured; errors and close reasons say it in words. */
export type AuthError = 'expired' | 'invalid' | 'ended' | 'deactivated';

export type Authentication =
  | {
      ok: true;
      viewer: Viewer;
      sessionId: string;
      expiresAt: Date;
      /** When the session was looked up (ms): account events heard since may not have been seen by it. */
      at: number;
    }
  | { ok: false; error: AuthError; ended?: SessionEnd };

/**
 * A token is honoured only while its session is active and its user is active, and it serves the
 * user's current role (not the one it was signed with). The signature check is remembered per
 * process (tokens.ts); the session's state is remembered per instance until an account event
 * changes it (session-cache.ts: a change bites there as soon as its event arrives). Sockets ask
 * once, at connect, and are closed through the event bus when that answer changes.
 */
export async function authenticate(
  deps: { db: Database; tokens: TokenService; live: { sessions: SessionCache } },
  token: string,
): Promise<Authentication> {
  const at = Date.now();
  const check = await deps.tokens.verify(token);
  if (!check.ok) return { ok: false, error: check.reason };
  const { claims } = check;
  const state = await deps.live.sessions.state(deps.db, claims.sessionId);
  if (!state || state.userId !== claims.userId) return { ok: false, error: 'invalid' };
  if (state.deactivated) return { ok: false, error: 'deactivated' };
  if (state.ended) return { ok: false, error: 'ended', ended: state.ended };
  return {
    ok: true,
    viewer: { id: claims.userId, role: state.role },
    sessionId: claims.sessionId,
    expiresAt: claims.expiresAt,
    at,
  };
}

export const authErrorMessages: Record<AuthError, string> = {
  expired: 'Token expired: renew it or sign in again',
  invalid: 'Invalid token: sign in again',
  ended: 'Session ended: sign in again',
  deactivated: 'Account deactivated: ask an administrator',
};
