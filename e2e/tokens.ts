/**
 * Tokens made by the test itself, signed with the e2e copy's known secret (e2e/serve.ts sets
 * JWT_SECRET) by the API's own token service: a session whose token really expires mid-test.
 */
import { decodeJwt } from 'jose';
import { createTokenService, type Role } from '../server/auth/tokens';
import type { AuthPayload } from './fixtures';
import { E2E } from './ports';

/**
 * `login`'s user with a token that expires in `seconds` (the API then closes its socket with
 * 4403 "Token expired"). `claimExpiry` is the expiry the web app is told; a later one than the
 * real one plays a tab that slept through its scheduled renewal.
 */
export async function shortLivedSession(
  login: AuthPayload,
  seconds: number,
  claimExpiry?: Date,
): Promise<AuthPayload & { realExpiry: number }> {
  const tokens = createTokenService({
    secret: E2E.jwtSecret,
    ttlSeconds: seconds,
    renewGraceSeconds: 3600,
    maxSessionSeconds: 24 * 3600,
  });
  // The same server-side session as the login's token: only the expiry differs.
  const { sid } = decodeJwt(login.token);
  const { token, expiresAt } = await tokens.sign(
    { id: login.user.id, role: login.user.role as Role },
    { id: String(sid) },
  );
  return { ...login, token, expiresAt: (claimExpiry ?? expiresAt).toISOString(), realExpiry: expiresAt.getTime() };
}
