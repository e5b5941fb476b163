'use client';
// Your sessions (every browser or client signed in as you), with a way to end any of them or all,
// and your password. Ending a session signs that browser out at once, wherever it is.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  ChangePasswordMutation,
  MySessionsQuery,
  RevokeSessionMutation,
  type SessionInfo,
  SignOutEverywhereMutation,
} from '../../lib/account-documents';
import { clientName } from '../../lib/client-name';
import { signOut } from '../../lib/session';
import { Empty, ErrorNote, formatDateTime, Loading } from '../status';

function SessionRow({ session, onRevoked }: { session: SessionInfo; onRevoked: () => void }) {
  const [{ fetching, error }, revoke] = useMutation(RevokeSessionMutation);
  return (
    <li className="card session-row" data-testid="session">
      <div className="stack-tight">
        <strong title={session.userAgent || undefined}>{clientName(session.userAgent)}</strong>
        <span className="muted">
          {session.address || 'unknown address'} · signed in {formatDateTime(session.createdAt)} · last seen{' '}
          {formatDateTime(session.lastSeenAt)}
        </span>
        {error && <ErrorNote error={error} />}
      </div>
      {session.current ? (
        <span className="pill">This browser</span>
      ) : (
        <button
          type="button"
          className="btn btn-small"
          disabled={fetching}
          onClick={async () => {
            const r = await revoke({ id: session.id });
            if (!r.error) onRevoked();
          }}
        >
          Sign out this session
        </button>
      )}
    </li>
  );
}

function Sessions() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: MySessionsQuery, requestPolicy: 'network-only' });
  const [everywhere, signOutEverywhere] = useMutation(SignOutEverywhereMutation);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  if (fetching && !data) return <Loading label="Loading sessions…" />;
  if (!data) return <ErrorNote error={error} retry={reload} />;
  return (
    <section className="stack" aria-labelledby="sessions-heading">
      <div className="row-between">
        <h2 id="sessions-heading">Your sessions</h2>
        <button
          type="button"
          className="btn btn-small"
          disabled={everywhere.fetching}
          onClick={async () => {
            const r = await signOutEverywhere({});
            if (!r.error) signOut('You signed out everywhere.');
          }}
        >
          Sign out everywhere
        </button>
      </div>
      {everywhere.error && <ErrorNote error={everywhere.error} />}
      {data.mySessions.length === 0 ? (
        <Empty>No active sessions.</Empty>
      ) : (
        <ul className="stack list-plain">
          {data.mySessions.map((s) => (
            <SessionRow key={s.id} session={s} onRevoked={reload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ChangePasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState('');
  const [{ fetching, error }, change] = useMutation(ChangePasswordMutation);
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone('');
    const r = await change({ currentPassword: current, newPassword: next });
    if (r.data) {
      const ended = r.data.changePassword;
      setDone(`Password changed.${ended ? ` ${ended} other session${ended === 1 ? '' : 's'} signed out.` : ''}`);
      setCurrent('');
      setNext('');
    }
  }
  return (
    <form className="card form" onSubmit={onSubmit} aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      <label className="field">
        <span>Current password</span>
        <input
          type="password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          required
          autoComplete="current-password"
        />
      </label>
      <label className="field">
        <span>New password (at least 8 characters)</span>
        <input
          type="password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          required
          minLength={8}
          autoComplete="new-password"
        />
      </label>
      {error && <ErrorNote error={error} />}
      {done && (
        <p className="status status-ok" role="status">
          {done}
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={fetching || !current || next.length < 8}>
        Change password
      </button>
    </form>
  );
}

export function AccountView() {
  return (
    <div className="stack">
      <h1>Account</h1>
      <Sessions />
      <ChangePasswordForm />
    </div>
  );
}
