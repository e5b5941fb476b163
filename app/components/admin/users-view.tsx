'use client';
// The admin's accounts: change a role, deactivate or reactivate, reset a password. Each change
// applies at once on every instance (the user's sockets close, their next request is refused or
// served with the new role); each is recorded in the audit log.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  DeactivateUserMutation,
  type ManagedUser,
  ManagedUsersQuery,
  ReactivateUserMutation,
  ResetPasswordMutation,
  UpdateUserMutation,
} from '../../lib/account-documents';
import type { Role } from '../../lib/documents';
import { useSession } from '../../lib/session';
import { ErrorNote, Loading } from '../status';

const roles: Role[] = ['STUDENT', 'INSTRUCTOR', 'ADMIN'];

/** Name and email, edited in place; the row's other actions wait meanwhile. */
function IdentityForm({
  user,
  busy,
  onSave,
  onCancel,
}: {
  user: ManagedUser;
  busy: boolean;
  onSave: (name: string, email: string) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSave(name, email);
  };
  return (
    <form className="stack-tight" onSubmit={submit}>
      <input aria-label={`Name of ${user.email}`} value={name} onChange={(e) => setName(e.target.value)} required />
      <input
        aria-label={`Email of ${user.email}`}
        type="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        required
      />
      <div className="actions">
        <button type="submit" className="btn btn-small btn-primary" disabled={busy}>
          Save
        </button>
        <button type="button" className="btn btn-small btn-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function UserRow({ user, self }: { user: ManagedUser; self: boolean }) {
  const [update, updateUser] = useMutation(UpdateUserMutation);
  const [deactivation, deactivate] = useMutation(DeactivateUserMutation);
  const [reactivation, reactivate] = useMutation(ReactivateUserMutation);
  const [reset, resetPassword] = useMutation(ResetPasswordMutation);
  const [temporary, setTemporary] = useState('');
  const [editing, setEditing] = useState(false);
  const error = update.error ?? deactivation.error ?? reactivation.error ?? reset.error;
  const busy = update.fetching || deactivation.fetching || reactivation.fetching || reset.fetching;
  return (
    <tr data-testid={`user-${user.email}`} className={user.active ? undefined : 'is-inactive'}>
      <th scope="row">
        {editing ? (
          <IdentityForm
            user={user}
            busy={busy}
            onCancel={() => setEditing(false)}
            onSave={async (name, email) => {
              const r = await updateUser({ id: user.id, name, email });
              if (!r.error) setEditing(false);
            }}
          />
        ) : (
          <>
            <span className="student-name">{user.name}</span>
            <span className="th-sub">{user.email}</span>
          </>
        )}
      </th>
      <td>
        <select
          aria-label={`Role of ${user.email}`}
          value={user.role}
          disabled={self || busy}
          onChange={(e) => void updateUser({ id: user.id, role: e.target.value as Role })}
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {r.charAt(0) + r.slice(1).toLowerCase()}
            </option>
          ))}
        </select>
      </td>
      <td data-testid="user-status">{user.active ? 'Active' : 'Deactivated'}</td>
      <td>
        <div className="actions">
          {!editing && (
            <button type="button" className="btn btn-small btn-quiet" disabled={busy} onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
          {!self &&
            (user.active ? (
              <button
                type="button"
                className="btn btn-small"
                disabled={busy}
                onClick={() => void deactivate({ id: user.id })}
              >
                Deactivate
              </button>
            ) : (
              <button
                type="button"
                className="btn btn-small"
                disabled={busy}
                onClick={() => void reactivate({ id: user.id })}
              >
                Reactivate
              </button>
            ))}
          {!self && (
            <button
              type="button"
              className="btn btn-small btn-quiet"
              disabled={busy}
              onClick={async () => {
                if (!window.confirm(`Reset the password of ${user.email}? Every session of theirs ends.`)) return;
                const r = await resetPassword({ id: user.id });
                if (r.data) setTemporary(r.data.resetPassword.temporaryPassword);
              }}
            >
              Reset password
            </button>
          )}
          {temporary && (
            <p className="status status-ok" role="status">
              Temporary password (shown once): <code data-testid="temporary-password">{temporary}</code>
            </p>
          )}
        </div>
        {error && <ErrorNote error={error} />}
      </td>
    </tr>
  );
}

export function UsersView() {
  const session = useSession();
  const [{ data, error, fetching }, refetch] = useQuery({ query: ManagedUsersQuery });
  const [filter, setFilter] = useState('');
  if (fetching && !data) return <Loading label="Loading users…" />;
  if (!data) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const needle = filter.trim().toLowerCase();
  const shown = data.users.filter(
    (u) => !needle || u.name.toLowerCase().includes(needle) || u.email.toLowerCase().includes(needle),
  );
  return (
    <div className="stack">
      <h1>Users</h1>
      <label className="field">
        <span>Find</span>
        <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name or email" />
      </label>
      <div className="table-wrap">
        <table className="table" data-testid="users-table">
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((u) => (
              <UserRow key={u.id} user={u} self={u.id === session?.user.id} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
