import { createHmac } from 'node:crypto';
import { base64url } from 'jose';
import { TEST_JWT_SECRET } from '../app';

export type CraftedToken =
  | 'alg-none'
  | 'hs512-same-secret'
  | 'rs256-header-hmac-signature'
  | 'other-secret'
  | 'expired'
  | 'no-subject'
  | 'unknown-role'
  | 'other-issuer'
  | 'tampered-role';

const enc = (value: unknown) => base64url.encode(JSON.stringify(value));
const hmac = (algorithm: 'sha256' | 'sha512', secret: string, input: string) =>
  base64url.encode(createHmac(algorithm, secret).update(input).digest());

/**
 * JWTs built by hand (jose's base64url, node's HMAC), so every header and claim can be wrong on
 * purpose: `alg: none`, HS512 with the right secret, an RS256 header over an HMAC signature, a
 * foreign secret, an expired token, missing or bogus claims, a role edited after signing.
 */
export function craftToken(kind: CraftedToken, user: { id: string; role: string }): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    role: user.role,
    auth_time: now,
    iss: 'homeroom',
    sub: user.id,
    iat: now,
    exp: now + 900,
  };
  const sign = (
    header: Record<string, unknown>,
    payload: Record<string, unknown>,
    secret = TEST_JWT_SECRET,
    algorithm: 'sha256' | 'sha512' = 'sha256',
  ) => {
    const input = `${enc(header)}.${enc(payload)}`;
    return `${input}.${hmac(algorithm, secret, input)}`;
  };
  switch (kind) {
    case 'alg-none':
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ ...claims, role: 'ADMIN' })}.`;
    case 'hs512-same-secret':
      return sign({ alg: 'HS512', typ: 'JWT' }, claims, TEST_JWT_SECRET, 'sha512');
    case 'rs256-header-hmac-signature':
      return sign({ alg: 'RS256', typ: 'JWT' }, claims);
    case 'other-secret':
      return sign({ alg: 'HS256', typ: 'JWT' }, claims, 'another-secret-0123456789-abcdefghijklmn');
    case 'expired':
      return sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 1000, exp: now - 60 });
    case 'no-subject': {
      const { sub: _sub, ...rest } = claims;
      return sign({ alg: 'HS256', typ: 'JWT' }, rest);
    }
    case 'unknown-role':
      return sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, role: 'ROOT' });
    case 'other-issuer':
      return sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'someone-else' });
    case 'tampered-role': {
      // A valid token whose payload is swapped for one claiming ADMIN, keeping the old signature.
      const valid = sign({ alg: 'HS256', typ: 'JWT' }, claims);
      const [header, , signature] = valid.split('.');
      return `${header}.${enc({ ...claims, role: 'ADMIN' })}.${signature}`;
    }
  }
}
