import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';

export type Role = 'STUDENT' | 'INSTRUCTOR' | 'ADMIN';
export type TokenClaims = { userId: string; sessionId: string; role: Role; authTime: number; expiresAt: Date };
export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'expired' | 'invalid'; claims?: TokenClaims };

const ISSUER = 'homeroom';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALGORITHM = 'HS256';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Verified tokens remembered per process (a few hundred bytes each). */
const VERIFIED_TOKENS_KEPT = 10_000;

export type TokenService = ReturnType<typeof createTokenService>;

/**
 * Short-lived HS256 JWTs. Each names its server-side session (`sid`), which decides whether it is
 * still honoured (auth/authenticate.ts): a signature only proves who signed in, not that they still
 * may. `authTime` is the original sign-in; renewal keeps it, so a session cannot be stretched
 * forever by renewing (see `maxSessionSeconds`). The `role` claim is informational: requests are
 * served with the user's current role.
 */
export function createTokenService(options: {
  secret: string;
  ttlSeconds: number;
  renewGraceSeconds: number;
  maxSessionSeconds: number;
}) {
  // Imported once: given raw bytes, jose imports a CryptoKey on every sign (~30 KiB of garbage each).
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(options.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );

  async function sign(
    user: { id: string; role: Role },
    session: { id: string; authTime?: number },
  ): Promise<{ token: string; expiresAt: Date }> {
    const authTime = session.authTime ?? Math.floor(Date.now() / 1000);
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + options.ttlSeconds) * 1000);
    const token = await new SignJWT({ role: user.role, auth_time: authTime, sid: session.id })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(await key);
    return { token, expiresAt };
  }

  // The same token comes back with every request and every operation on a socket: verified once,
  // its claims are kept (bounded; the oldest go first) and only its expiry is checked again.
  const verified = new Map<string, TokenClaims>();

  async function verify(token: string, clockToleranceSeconds = 0): Promise<TokenCheck> {
    const known = clockToleranceSeconds === 0 ? verified.get(token) : undefined;
    if (known) {
      // jose's rule: expired once `exp` is at or before the current whole second.
      if (known.expiresAt.getTime() / 1000 > Math.floor(Date.now() / 1000)) return { ok: true, claims: known };
      verified.delete(token);
      return { ok: false, reason: 'expired' };
    }
    const check = await verifySignature(token, clockToleranceSeconds);
    if (check.ok && clockToleranceSeconds === 0) {
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
      verified.set(token, check.claims);
    }
    return check;
  }

  const secret = Buffer.from(options.secret, 'utf8');

  /**
   * HS256 checked with node:crypto, synchronously: jose verifies through WebCrypto, whose HMAC is
   * an async job costing ~90 µs per token, and every socket connects with a token of its own (a
   * connection storm is as many verifications). The same rules as jose's `jwtVerify` with our
   * options: alg HS256 and no `crit`, the signature over `header.payload` (constant-time
   * comparison), `iss`, required `exp`, `iat` and `sub`, `nbf` if present; expired once `exp` is at
   * or before the current whole second (less the tolerance).
   */
  async function verifySignature(token: string, clockToleranceSeconds: number): Promise<TokenCheck> {
    const invalid: TokenCheck = { ok: false, reason: 'invalid' };
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return invalid;
    const [encodedHeader, encodedPayload, encodedSignature] = parts;
    const expected = createHmac('sha256', secret).update(`${encodedHeader}.${encodedPayload}`).digest();
    const signature = Buffer.from(encodedSignature, 'base64url');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return invalid;
    const header = parseJson(encodedHeader);
    const payload = parseJson(encodedPayload);
    if (!header || header.alg !== ALGORITHM || header.crit !== undefined || header.b64 !== undefined) return invalid;
    if (!payload || payload.iss !== ISSUER) return invalid;
    const { exp, iat, nbf, sub, sid, role } = payload;
    if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string') return invalid;
    const now = Math.floor(Date.now() / 1000);
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + clockToleranceSeconds)) return invalid;
    if (exp <= now - clockToleranceSeconds) return { ok: false, reason: 'expired' };
    if (
      typeof sid !== 'string' ||
      !UUID.test(sid) ||
      (role !== 'STUDENT' && role !== 'INSTRUCTOR' && role !== 'ADMIN')
    ) {
      return invalid;
    }
    return {
      ok: true,
      claims: {
        userId: sub,
        sessionId: sid,
        role,
        authTime: Number(payload.auth_time ?? iat),
        expiresAt: new Date(exp * 1000),
      },
    };
  }

  /** Accepts a token expired by at most `renewGraceSeconds`, within the session's maximum age. */
  async function verifyForRenewal(token: string): Promise<TokenCheck> {
    const check = await verify(token, options.renewGraceSeconds);
    if (!check.ok) return check;
    if (Date.now() / 1000 - check.claims.authTime > options.maxSessionSeconds) return { ok: false, reason: 'expired' };
    return check;
  }

  return { sign, verify, verifyForRenewal };
}

/** A JWT segment's JSON object, or null. */
function parseJson(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
