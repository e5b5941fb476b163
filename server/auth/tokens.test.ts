import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenService } from './tokens';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const service = (secret = SECRET) =>
  createTokenService({ secret, ttlSeconds: 60, renewGraceSeconds: 3600, maxSessionSeconds: 86_400 });
const sam = { id: '00000000-0000-4000-8000-000000000001', role: 'STUDENT' as const };
const session = { id: '00000000-0000-4000-8000-0000000000a1' };

afterEach(() => vi.useRealTimers());

describe('verify remembers verified tokens, never their validity', () => {
  it('a remembered token expires at the same second as a fresh verification says', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-22T10:00:00.000Z') });
    const tokens = service();
    const { token } = await tokens.sign(sam, session);
    expect(await tokens.verify(token)).toMatchObject({
      ok: true,
      claims: { userId: sam.id, sessionId: session.id, role: 'STUDENT' },
    });

    vi.setSystemTime(new Date('2026-11-22T10:00:59.999Z'));
    expect(await tokens.verify(token)).toMatchObject({ ok: true, claims: { userId: sam.id } });
    expect(await service().verify(token)).toMatchObject({ ok: true });

    vi.setSystemTime(new Date('2026-11-22T10:01:00.000Z'));
    expect(await service().verify(token)).toEqual({ ok: false, reason: 'expired' });
    expect(await tokens.verify(token)).toEqual({ ok: false, reason: 'expired' });
    expect(await tokens.verify(token)).toEqual({ ok: false, reason: 'expired' });
    // Renewal checks the signature itself, with its grace period.
    expect(await tokens.verifyForRenewal(token)).toMatchObject({ ok: true, claims: { userId: sam.id } });
  });

  it('another secret, a changed payload or garbage are refused, also after the real token was remembered', async () => {
    const tokens = service();
    const { token } = await tokens.sign(sam, session);
    expect((await tokens.verify(token)).ok).toBe(true);
    const { token: foreign } = await service('another-secret-of-at-least-32-characters').sign(sam, session);
    const [header, payload, signature] = token.split('.');
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'ADMIN' }),
    ).toString('base64url');
    for (const bad of [foreign, `${header}.${admin}.${signature}`, 'garbage', `${token}x`]) {
      expect(await tokens.verify(bad)).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await tokens.verify(token)).toMatchObject({ ok: true, claims: { role: 'STUDENT' } });
  });
});

// The signature is checked with node:crypto (tokens.ts), not jose: the same rules, tested where they differ from a plain HMAC.
describe('only our HS256 tokens pass', () => {
  it('the right HMAC under another alg, another issuer, a future nbf or a crit header is invalid', async () => {
    const base = { role: 'STUDENT', sid: session.id, iss: 'homeroom', sub: sam.id };
    const now = Math.floor(Date.now() / 1000);
    const forge = (header: object, payload: object) => {
      const body = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      const mac = createHmac('sha256', SECRET).update(body).digest('base64url');
      return `${body}.${mac}`;
    };
    const good = { ...base, iat: now, exp: now + 60 };
    expect(await service().verify(forge({ alg: 'HS256' }, good))).toMatchObject({ ok: true });
    for (const bad of [
      forge({ alg: 'HS512' }, good),
      forge({ alg: 'none' }, good),
      forge({ alg: 'HS256', crit: ['x'], x: 1 }, good),
      forge({ alg: 'HS256' }, { ...good, iss: 'elsewhere' }),
      forge({ alg: 'HS256' }, { ...good, nbf: now + 60 }),
      forge({ alg: 'HS256' }, { ...good, exp: String(now + 60) }),
      forge({ alg: 'HS256' }, [good]),
    ]) {
      expect(await service().verify(bad)).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await service().verify(forge({ alg: 'HS256' }, { ...good, exp: now }))).toEqual({
      ok: false,
      reason: 'expired',
    });
  });
});

describe('tokens name their session', () => {
  it('a token without a session id (or with one that is not an id) is invalid, even with the right signature', async () => {
    const key = new TextEncoder().encode(SECRET);
    const claims = { role: 'STUDENT', auth_time: Math.floor(Date.now() / 1000) };
    for (const extra of [{}, { sid: 'not-a-uuid' }, { sid: 42 }]) {
      const token = await new SignJWT({ ...claims, ...extra })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('homeroom')
        .setSubject(sam.id)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
      expect(await service().verify(token)).toEqual({ ok: false, reason: 'invalid' });
    }
  });
});

// Regression (issue 18.5): a signed token without `exp` was accepted by its first check, and never expired.
describe('tokens expire', () => {
  it('a signed token without exp (or without iat) is refused, for use and for renewal', async () => {
    const key = new TextEncoder().encode(SECRET);
    const build = (withExp: boolean, withIat: boolean) => {
      const jwt = new SignJWT({ role: 'STUDENT', sid: session.id })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('homeroom')
        .setSubject(sam.id);
      if (withExp) jwt.setExpirationTime('5m');
      if (withIat) jwt.setIssuedAt();
      return jwt.sign(key);
    };
    expect(await service().verify(await build(true, true))).toMatchObject({ ok: true });
    for (const [withExp, withIat] of [
      [false, true],
      [true, false],
      [false, false],
    ]) {
      const token = await build(withExp, withIat);
      const tokens = service();
      expect({ withExp, withIat, use: await tokens.verify(token) }).toEqual({
        withExp,
        withIat,
        use: { ok: false, reason: 'invalid' },
      });
      expect(await tokens.verify(token)).toEqual({ ok: false, reason: 'invalid' });
      expect(await tokens.verifyForRenewal(token)).toEqual({ ok: false, reason: 'invalid' });
    }
  });
});
