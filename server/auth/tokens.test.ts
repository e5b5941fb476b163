import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenService } from './tokens';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const service = (secret = SECRET) =>
  createTokenService({ secret, ttlSeconds: 60, renewGraceSeconds: 3600, maxSessionSeconds: 86_400 });
const sam = { id: '00000000-0000-4000-8000-000000000001', role: 'STUDENT' as const };

afterEach(() => vi.useRealTimers());

describe('verify remembers verified tokens, never their validity', () => {
  it('a remembered token expires at the same second as a fresh verification says', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-22T10:00:00.000Z') });
    const tokens = service();
    const { token } = await tokens.sign(sam);
    expect(await tokens.verify(token)).toMatchObject({ ok: true, claims: { userId: sam.id, role: 'STUDENT' } });

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
    const { token } = await tokens.sign(sam);
    expect((await tokens.verify(token)).ok).toBe(true);
    const { token: foreign } = await service('another-secret-of-at-least-32-characters').sign(sam);
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
