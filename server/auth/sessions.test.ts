/**
 * Sessions on the server and the admin account lifecycle, over HTTP (in-process): every token
 * names a session; ending it, deactivating its user or changing their role bites on this
 * instance's very next request, although the token's signature check is remembered per process
 * (tokens.ts) and the session's state per instance (session-cache.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, codes, startApi } from '../../test/api/api';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api?.stop());

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token user { id role } } }`;
const RENEW = `mutation { renewToken { token user { role } } }`;
const ME = `{ me { id role } }`;
const SESSIONS = `{ mySessions { id userAgent address current lastSeenAt } }`;

async function login(email: string, password = 'homeroom', userAgent = 'vitest'): Promise<string> {
  const response = await api.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify({ query: LOGIN, variables: { email, password } }),
  });
  const body = (await response.json()) as { data?: { login: { token: string } }; errors?: unknown[] };
  if (!body.data) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
  return body.data.login.token;
}

async function ok(query: string, variables: Record<string, unknown>, token: string | null) {
  const result = await api.gql(query, variables, token);
  expect(result.errors).toBeUndefined();
  return result.data;
}

/** The single error code of a refused operation. */
async function refusal(query: string, variables: Record<string, unknown>, token: string | null) {
  const result = await api.gql(query, variables, token);
  expect(codes(result)).toHaveLength(1);
  return { code: codes(result)[0], message: result.errors![0].message };
}

const ended = { code: 'UNAUTHENTICATED', message: 'Session ended: sign in again' };
const deactivated = { code: 'UNAUTHENTICATED', message: 'Account deactivated: ask an administrator' };

describe('sessions', () => {
  it('login starts a session that mySessions lists (browser, address, current); each login is its own', async () => {
    const first = await login('student01@homeroom.test', 'homeroom', 'Firefox on a laptop');
    const second = await login('student01@homeroom.test', 'homeroom', 'Chromium on a phone');
    const { mySessions } = await ok(SESSIONS, {}, second);
    expect(mySessions).toHaveLength(2);
    expect(mySessions.find((s: { current: boolean }) => s.current)).toMatchObject({ userAgent: 'Chromium on a phone' });
    expect(mySessions.find((s: { current: boolean }) => !s.current)).toMatchObject({
      userAgent: 'Firefox on a laptop',
    });
    expect((await ok(SESSIONS, {}, first)).mySessions.map((s: { id: string }) => s.id).sort()).toEqual(
      mySessions.map((s: { id: string }) => s.id).sort(),
    );
  });

  it('revokeSession refuses that session at once (though its token was verified and remembered), and its renewal', async () => {
    const phone = await login('student02@homeroom.test');
    const laptop = await login('student02@homeroom.test');
    await ok(ME, {}, phone); // the token service now remembers this token as verified
    const { mySessions } = await ok(SESSIONS, {}, laptop);
    const phoneSession = mySessions.find((s: { current: boolean }) => !s.current);
    const { revokeSession } = await ok(
      `mutation($id: ID!) { revokeSession(id: $id) { id active } }`,
      { id: phoneSession.id },
      laptop,
    );
    expect(revokeSession).toEqual({ id: phoneSession.id, active: false });

    expect(await refusal(`{ courses { id } }`, {}, phone)).toEqual(ended);
    expect(await ok(ME, {}, phone)).toEqual({ me: null });
    expect(await refusal(RENEW, {}, phone)).toEqual(ended);
    // The other session carries on.
    expect((await ok(ME, {}, laptop)).me.id).toBe(api.f.user('student02@homeroom.test'));
  });

  it("revokeSession: another user's session is NOT_FOUND, unless the caller is an admin", async () => {
    const victim = await login('student03@homeroom.test');
    const [{ id }] = (await ok(SESSIONS, {}, victim)).mySessions;
    const REVOKE = `mutation($id: ID!) { revokeSession(id: $id) { id } }`;
    expect((await refusal(REVOKE, { id }, await login('student04@homeroom.test'))).code).toBe('NOT_FOUND');
    expect((await ok(ME, {}, victim)).me).not.toBeNull();
    await ok(REVOKE, { id }, await api.tokenFor('admin@homeroom.test'));
    expect(await refusal(`{ courses { id } }`, {}, victim)).toEqual(ended);
  });

  it('signOutEverywhere ends every session, this one included; signOut ends only this one', async () => {
    const a = await login('student05@homeroom.test');
    const b = await login('student05@homeroom.test');
    const c = await login('student05@homeroom.test');
    expect(await ok(`mutation { signOut }`, {}, c)).toEqual({ signOut: true });
    expect(await refusal(`{ courses { id } }`, {}, c)).toEqual(ended);
    expect(await ok(`mutation { signOutEverywhere }`, {}, a)).toEqual({ signOutEverywhere: 2 });
    for (const token of [a, b]) expect(await refusal(RENEW, {}, token)).toEqual(ended);
  });

  it('changePassword checks the current one, ends the other sessions and keeps this one', async () => {
    const email = 'student06@homeroom.test';
    const other = await login(email);
    const mine = await login(email);
    const CHANGE = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
    expect(await refusal(CHANGE, { c: 'wrong-password', n: 'a new password' }, mine)).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await refusal(CHANGE, { c: 'homeroom', n: 'short' }, mine)).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await ok(CHANGE, { c: 'homeroom', n: 'a new password' }, mine)).toEqual({ changePassword: 1 });
    expect(await refusal(`{ courses { id } }`, {}, other)).toEqual(ended);
    expect((await ok(ME, {}, mine)).me.id).toBe(api.f.user(email));
    expect(codes(await api.gql(LOGIN, { email, password: 'homeroom' }))).toEqual(['UNAUTHENTICATED']);
    await login(email, 'a new password');
  }, 90_000); // seven scrypt hashes: seconds each on a loaded machine
});

describe('account lifecycle (admin)', () => {
  const admin = () => api.tokenFor('admin@homeroom.test');

  it('deactivateUser: the next request of every session is refused, sign-in and renewal too; reactivateUser lets them sign in again', async () => {
    const email = 'student07@homeroom.test';
    const id = api.f.user(email);
    const token = await login(email);
    await ok(ME, {}, token);
    const { deactivateUser } = await ok(
      `mutation($id: ID!) { deactivateUser(id: $id) { id active } }`,
      { id },
      await admin(),
    );
    expect(deactivateUser).toEqual({ id, active: false });

    expect(await refusal(`{ courses { id } }`, {}, token)).toEqual(deactivated);
    expect(await refusal(RENEW, {}, token)).toEqual(deactivated);
    expect(await refusal(LOGIN, { email, password: 'homeroom' }, null)).toEqual(deactivated);
    // A wrong password says nothing about the account.
    expect(await refusal(LOGIN, { email, password: 'nope' }, null)).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Wrong email or password',
    });

    await ok(`mutation($id: ID!) { reactivateUser(id: $id) { active } }`, { id }, await admin());
    expect(await refusal(`{ courses { id } }`, {}, token)).toEqual(ended); // old sessions stay ended
    const fresh = await login(email);
    expect((await ok(ME, {}, fresh)).me.id).toBe(id);
  });

  it('updateUser: a role change is served at once — the same token gets the new role, renewal signs it', async () => {
    const email = 'student08@homeroom.test';
    const id = api.f.user(email);
    const token = await login(email);
    expect((await ok(ME, {}, token)).me.role).toBe('STUDENT');
    await ok(
      `mutation($id: ID!) { updateUser(id: $id, role: ADMIN, name: "Promoted Eight") { role name email } }`,
      { id },
      await admin(),
    );
    expect((await ok(ME, {}, token)).me.role).toBe('ADMIN');
    expect((await ok(`{ users { id } }`, {}, token)).users.length).toBeGreaterThan(20);
    await ok(`mutation($id: ID!) { updateUser(id: $id, role: STUDENT) { role } }`, { id }, await admin());
    expect((await refusal(`{ users { id } }`, {}, token)).code).toBe('FORBIDDEN');
    expect((await ok(RENEW, {}, token)).renewToken.user.role).toBe('STUDENT');
  });

  it('updateUser validates: a taken email or a bad one is BAD_USER_INPUT; an admin cannot change their own role', async () => {
    const id = api.f.user('student09@homeroom.test');
    const UPDATE = `mutation($id: ID!, $email: String, $role: Role) { updateUser(id: $id, email: $email, role: $role) { id } }`;
    expect((await refusal(UPDATE, { id, email: 'student@homeroom.test' }, await admin())).code).toBe('BAD_USER_INPUT');
    expect((await refusal(UPDATE, { id, email: 'not an email' }, await admin())).code).toBe('BAD_USER_INPUT');
    const self = api.f.user('admin@homeroom.test');
    expect(await refusal(UPDATE, { id: self, role: 'STUDENT' }, await admin())).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'You cannot change your own role',
    });
    expect(
      (await refusal(`mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id: self }, await admin())).code,
    ).toBe('BAD_USER_INPUT');
  });

  it('resetPassword returns a one-time temporary password that signs in; the old password and sessions are gone', async () => {
    const email = 'student10@homeroom.test';
    const id = api.f.user(email);
    const token = await login(email);
    const { resetPassword } = await ok(
      `mutation($id: ID!) { resetPassword(id: $id) { user { id } temporaryPassword } }`,
      { id },
      await admin(),
    );
    expect(resetPassword.user.id).toBe(id);
    expect(resetPassword.temporaryPassword).toMatch(/^[\w-]{20}$/);
    expect(await refusal(`{ courses { id } }`, {}, token)).toEqual(ended);
    expect(codes(await api.gql(LOGIN, { email, password: 'homeroom' }))).toEqual(['UNAUTHENTICATED']);
    await login(email, resetPassword.temporaryPassword);
    const [stored] = await api.sql<{ password_hash: string }[]>`select password_hash from users where id = ${id}`;
    expect(stored.password_hash).not.toContain(resetPassword.temporaryPassword);
  });
});

describe('course membership', () => {
  it('removal from a course refuses that course at once, on the very next query', async () => {
    const math = api.f.course('MATH101');
    const email = 'student11@homeroom.test';
    const [row] = await api.sql<{ id: string }[]>`select id from users where email = ${email}`;
    await api.sql`insert into enrolments (course_id, student_id) values (${math.id}, ${row.id}) on conflict do nothing`;
    const token = await login(email);
    const COURSE = `query($id: ID!) { course(id: $id) { id } }`;
    expect((await ok(COURSE, { id: math.id }, token)).course.id).toBe(math.id);
    await ok(
      `mutation($c: ID!, $s: ID!) { unenrolStudent(courseId: $c, studentId: $s) { id } }`,
      { c: math.id, s: row.id },
      await api.tokenFor('admin@homeroom.test'),
    );
    const after = await api.gql(COURSE, { id: math.id }, token);
    expect(after.data?.course ?? null).toBeNull();
    expect(codes(after)).toEqual(['FORBIDDEN']);
  });
});
