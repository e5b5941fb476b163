/**
 * Signing in (`login`) and tokens (`renewToken`, what an unusable token gets), in-process against a seeded database of this file's own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, SAM, startApi, UNKNOWN_ID } from '../../test/api/api';
import { TEST_JWT_SECRET } from '../../test/app';
import { mintToken } from '../../test/sessions';
import { createTokenService } from '../auth/tokens';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api?.stop());

describe('login', () => {
  const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token expiresAt user { id email role } } }`;

  it('returns a token that identifies the user', async () => {
    const { login } = await api.ok(LOGIN, { email: SAM, password: 'homeroom' });
    expect(login.user).toEqual({ id: api.f.user(SAM), email: SAM, role: 'STUDENT' });
    expect(new Date(login.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const { me } = await api.ok(`{ me { id email } }`, {}, login.token);
    expect(me).toEqual({ id: api.f.user(SAM), email: SAM });
  });

  it('accepts the email in any case and with surrounding spaces', async () => {
    const { login } = await api.ok(LOGIN, { email: '  Student@HomeRoom.TEST ', password: 'homeroom' });
    expect(login.user.id).toBe(api.f.user(SAM));
  });

  it.each([
    ['a wrong password', SAM, 'not-the-password'],
    ['the password in another case', SAM, 'HOMEROOM'],
    ['an unknown email (same answer: accounts cannot be probed)', 'nobody@homeroom.test', 'homeroom'],
    ['an empty email', '', 'homeroom'],
    ['a SQL-looking email', "' OR '1'='1' --", "' OR '1'='1"],
    ['a huge email', `${'a'.repeat(100_000)}@homeroom.test`, 'homeroom'],
  ])('refuses %s with UNAUTHENTICATED', async (_what, email, password) => {
    const error = await api.refused(LOGIN, { email, password }, null, 'UNAUTHENTICATED');
    expect(error.message).toBe('Wrong email or password');
  });
});

// ---------------------------------------------------------------------------------------------
describe('tokens', () => {
  const RENEW = `mutation { renewToken { token expiresAt user { id email } } }`;
  const sam = () => ({ id: api.f.user(SAM), role: 'STUDENT' as const });
  /** The app's config: 15 min tokens, renewable up to 1 h after expiry, sessions of at most 7 days. */
  const service = (ttlSeconds: number, secret = TEST_JWT_SECRET) =>
    createTokenService({ secret, ttlSeconds, renewGraceSeconds: 3600, maxSessionSeconds: 7 * 24 * 3600 });
  /** Tokens of a fresh session of the user (every token names one). */
  const tokens = (ttlSeconds: number, secret = TEST_JWT_SECRET) => ({
    sign: (user: { id: string; role: 'STUDENT' | 'ADMIN' }, authTime?: number) =>
      mintToken(api.sql, service(ttlSeconds, secret), user, { authTime }),
  });

  it('renewToken keeps the user and the original sign-in time, with a later expiry', async () => {
    const authTime = Math.floor(Date.now() / 1000) - 600;
    const { token: old, expiresAt: oldExpiry } = await tokens(60).sign(sam(), authTime);
    const { renewToken } = await api.ok(RENEW, {}, old);
    expect(renewToken.user).toEqual({ id: api.f.user(SAM), email: SAM });
    expect(new Date(renewToken.expiresAt).getTime()).toBeGreaterThan(oldExpiry.getTime());
    const check = await api.app.tokens.verify(renewToken.token);
    expect(check.ok && check.claims).toMatchObject({ userId: api.f.user(SAM), role: 'STUDENT', authTime });
    const { courses } = await api.ok(`{ courses { code } }`, {}, renewToken.token);
    expect(courses.map((c: { code: string }) => c.code)).toEqual(['HIST201', 'MATH101']);
  });

  it('renews a token that expired within the grace period', async () => {
    const { token: expired } = await tokens(-60).sign(sam());
    const { renewToken } = await api.ok(RENEW, {}, expired);
    expect(renewToken.user.id).toBe(api.f.user(SAM));
  });

  it('refuses to renew a token expired beyond the grace period', async () => {
    const { token: stale } = await tokens(-(3600 + 120)).sign(sam());
    expect((await api.refused(RENEW, {}, stale, 'UNAUTHENTICATED')).message).toBe('Session expired: sign in again');
  });

  it('refuses to renew past the maximum session age, however fresh the token', async () => {
    const eightDaysAgo = Math.floor(Date.now() / 1000) - 8 * 24 * 3600;
    const { token: fresh } = await tokens(900).sign(sam(), eightDaysAgo);
    expect((await api.refused(RENEW, {}, fresh, 'UNAUTHENTICATED')).message).toBe('Session expired: sign in again');
  });

  it('refuses to renew without a token, or with a forged one', async () => {
    expect((await api.refused(RENEW, {}, null, 'UNAUTHENTICATED')).message).toBe('Send the current token to renew it');
    const { token: forged } = await tokens(900, 'another-secret-that-is-long-enough-0123456789').sign({
      id: api.f.user(SAM),
      role: 'ADMIN',
    });
    await api.refused(RENEW, {}, forged, 'UNAUTHENTICATED');
  });

  it('refuses to renew the token of an account (or a session) that no longer exists', async () => {
    const { token: ghost } = await service(900).sign({ id: UNKNOWN_ID, role: 'STUDENT' }, { id: randomUUID() });
    expect((await api.refused(RENEW, {}, ghost, 'UNAUTHENTICATED')).message).toBe('Session ended: sign in again');
  });

  it.each([
    ['no token', async () => null, 'Sign in first: send "Authorization: Bearer <token>"'],
    ['a garbage token', async () => 'not.a.jwt', 'Invalid token: sign in again'],
    [
      'a token signed with another secret (claiming ADMIN)',
      async () => (await tokens(900, 'x'.repeat(40)).sign({ id: api.f.user(SAM), role: 'ADMIN' })).token,
      'Invalid token: sign in again',
    ],
    [
      'a tampered token (payload edited, signature kept)',
      async () => {
        const [header, payload, signature] = (await tokens(900).sign(sam())).token.split('.');
        const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'ADMIN' };
        return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
      },
      'Invalid token: sign in again',
    ],
    ['an expired token', async () => (await tokens(-5).sign(sam())).token, 'Token expired: renew it or sign in again'],
  ])('with %s, a protected query says why it is refused', async (_what, make, message) => {
    const error = await api.refused(`{ courses { code } }`, {}, await make(), 'UNAUTHENTICATED');
    expect(error.message).toBe(message);
  });

  it('an unusable token never grants anything: `me` is null', async () => {
    const { token: expired } = await tokens(-5).sign(sam());
    expect(await api.ok(`{ me { id } }`, {}, expired)).toEqual({ me: null });
    expect(await api.ok(`{ me { id } }`, {}, 'not.a.jwt')).toEqual({ me: null });
  });
});
