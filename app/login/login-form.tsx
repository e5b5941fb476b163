'use client';
import { useRouter, useSearchParams } from 'next/navigation';
import { type FormEvent, useEffect, useState } from 'react';
import { useMutation } from 'urql';
import { ErrorNote } from '../components/status';
import { LoginMutation } from '../lib/documents';
import { setSession, takeSignedOutReason, useSession } from '../lib/session';
import { errorCode, errorMessage } from '../lib/urql';

/** Only same-site paths may be a destination after signing in. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const session = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  // Why the last session ended (revoked, deactivated…): read in the browser only, shown once.
  const [reason, setReason] = useState<string | null>(null);
  useEffect(() => setReason(takeSignedOutReason()), []);
  const [{ fetching }, login] = useMutation(LoginMutation);
  const next = safeNext(params.get('next'));

  useEffect(() => {
    if (session) router.replace(next);
  }, [session, next, router]);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setError('');
    const result = await login({ email: email.trim(), password });
    if (result.data?.login) {
      setSession(result.data.login);
      return; // the effect navigates
    }
    const code = errorCode(result.error);
    setError(
      code === 'UNAUTHENTICATED' || code === 'BAD_USER_INPUT'
        ? errorMessage(result.error) || 'Wrong email or password.'
        : errorMessage(result.error) || 'Could not sign in.',
    );
  }

  return (
    <section className="card login-card" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to Homeroom</h1>
      {reason && (
        <p className="status status-error signed-out-reason" role="alert" data-testid="signed-out-reason">
          {reason}
        </p>
      )}
      <form onSubmit={onSubmit} className="form" noValidate>
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'login-error' : undefined}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'login-error' : undefined}
          />
        </label>
        <div id="login-error">{error && <ErrorNote message={error} />}</div>
        <button type="submit" className="btn btn-primary" disabled={fetching || !email || !password}>
          {fetching ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="hint">
        Demo accounts: admin@homeroom.test, instructor@homeroom.test, student@homeroom.test — password{' '}
        <code>homeroom</code>.
      </p>
    </section>
  );
}
