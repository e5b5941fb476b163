import { createSigner, createVerifier, TokenError } from 'fast-jwt';

export type Role = 'STUDENT' | 'INSTRUCTOR' | 'ADMIN';
export type TokenClaims = { userId: string; sessionId: string; role: Role; authTime: number; expiresAt: Date };
export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'expired' | 'invalid'; claims?: TokenClaims };

const ISSUER = 'homeroom';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALGORITHM = 'HS256';
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
  // fast-jwt signs and verifies HS256 synchronously with node:crypto: WebCrypto's HMAC (jose) is
  // an async job costing ~90 µs per token, and every socket connects with a token of its own (a
  // connection storm is as many verifications).
  const signToken = createSigner({ key: options.secret, algorithm: ALGORITHM, iss: ISSUER });
  const verifiers = new Map<number, (token: string) => Record<string, unknown>>();
  /** One verifier per clock tolerance asked for (none, and the renewal grace). */
  const verifierFor = (toleranceSeconds: number) => {
    let verifier = verifiers.get(toleranceSeconds);
    if (!verifier) {
      verifier = createVerifier({
        key: options.secret,
        algorithms: [ALGORITHM],
        allowedIss: ISSUER,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: toleranceSeconds * 1000,
      });
      verifiers.set(toleranceSeconds, verifier);
    }
    return verifier;
  };

  async function sign(
    user: { id: string; role: Role },
    session: { id: string; authTime?: number },
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const authTime = session.authTime ?? now;
    const expiresAt = new Date((now + options.ttlSeconds) * 1000);
    const token = signToken({
      sub: user.id,
      role: user.role,
      auth_time: authTime,
      sid: session.id,
      exp: Math.floor(expiresAt.getTime() / 1000),
    });
    return { token, expiresAt };
  }

  // The same token comes back with every request and every operation on a socket: verified once,
  // its claims are kept (bounded; the oldest go first) and only its expiry is checked again.
  const verified = new Map<string, TokenClaims>();

  async function verify(token: string, clockToleranceSeconds = 0): Promise<TokenCheck> {
    const known = clockToleranceSeconds === 0 ? verified.get(token) : undefined;
    if (known) {
      // Expired once `exp` is at or before the current whole second.
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

  /** The signature and the standard claims by fast-jwt; then what our tokens must also carry. */
  async function verifySignature(token: string, clockToleranceSeconds: number): Promise<TokenCheck> {
    let payload: Record<string, unknown>;
    try {
      payload = verifierFor(clockToleranceSeconds)(token);
    } catch (error) {
      const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
      return { ok: false, reason: expired ? 'expired' : 'invalid' };
    }
    const { exp, iat, sub, sid, role } = payload;
    // RFC 7519: valid only *before* exp (fast-jwt still accepts its very millisecond), and the
    // same whole-second rule as a remembered token's check above.
    if (Number(exp) <= Math.floor(Date.now() / 1000) - clockToleranceSeconds) return { ok: false, reason: 'expired' };
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      !UUID.test(sid) ||
      (role !== 'STUDENT' && role !== 'INSTRUCTOR' && role !== 'ADMIN')
    ) {
      return { ok: false, reason: 'invalid' };
    }
    return {
      ok: true,
      claims: {
        userId: sub,
        sessionId: sid,
        role,
        authTime: Number(payload.auth_time ?? iat),
        expiresAt: new Date(Number(exp) * 1000),
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
