'use client';
// Rescheduling or cancelling a class session: its students see the new time or the cancellation
// live, with a notification.
import { useState } from 'react';
import { useMutation } from 'urql';
import { CancelClassSessionMutation, type ClassSession, UpdateClassSessionMutation } from '../../lib/documents';
import { ErrorNote } from '../status';
import { InlineForm } from './inline-form';
import { localInputValue } from './new-session-form';

export function SessionActions({ session }: { session: ClassSession }) {
  const [title, setTitle] = useState(session.title);
  const [startsAt, setStartsAt] = useState(() => localInputValue(new Date(session.startsAt)));
  const [confirm, setConfirm] = useState(false);
  const [update, updateSession] = useMutation(UpdateClassSessionMutation);
  const [cancel, cancelSession] = useMutation(CancelClassSessionMutation);
  if (session.cancelledAt)
    return (
      <p className="pill pill-absent" data-testid="session-cancelled">
        Cancelled
      </p>
    );

  async function onSubmit() {
    const r = await updateSession({ id: session.id, title: title.trim(), startsAt: new Date(startsAt).toISOString() });
    return Boolean(r.data);
  }
  return (
    <div className="actions">
      <InlineForm
        key={session.id}
        openLabel="Reschedule"
        formLabel={`Reschedule ${session.title}`}
        submitLabel="Save"
        canSubmit={!update.fetching && Boolean(title.trim()) && Boolean(startsAt)}
        error={update.error}
        onSubmit={onSubmit}
      >
        <label className="field">
          <span>Title</span>
          <input value={title} onChange={(e) => setTitle(e.target.value)} required />
        </label>
        <label className="field">
          <span>Starts at</span>
          <input type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} required />
        </label>
      </InlineForm>
      <button
        type="button"
        className="btn btn-danger"
        disabled={cancel.fetching}
        onClick={async () => {
          if (!confirm) return setConfirm(true);
          await cancelSession({ id: session.id });
          setConfirm(false);
        }}
      >
        {confirm ? `Cancel ${session.title} for everyone` : 'Cancel session'}
      </button>
      {cancel.error && <ErrorNote error={cancel.error} />}
    </div>
  );
}
