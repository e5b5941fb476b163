'use client';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { CreateSessionMutation } from '../../lib/documents';
import { ErrorNote } from '../status';

/** "YYYY-MM-DDTHH:mm" for a datetime-local input, in local time. */
function localInputValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function NewSessionForm({ courseId, onCreated }: { courseId: string; onCreated?: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [startsAt, setStartsAt] = useState(() => localInputValue(new Date()));
  const [{ fetching, error }, create] = useMutation(CreateSessionMutation);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const when = new Date(startsAt);
    const r = await create({ courseId, title: title.trim(), startsAt: when.toISOString() });
    if (r.data) {
      setTitle('');
      setOpen(false);
      onCreated?.(r.data.createClassSession.id);
    }
  }
  if (!open) {
    return (
      <button type="button" className="btn" onClick={() => setOpen(true)} aria-expanded="false">
        Add session
      </button>
    );
  }
  return (
    <form className="card form inline-form" onSubmit={onSubmit} aria-label="New class session">
      <label className="field">
        <span>Title</span>
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoFocus />
      </label>
      <label className="field">
        <span>Starts at</span>
        <input type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} required />
      </label>
      {error && <ErrorNote error={error} />}
      <div className="actions">
        <button className="btn btn-primary" disabled={fetching || !title.trim() || !startsAt}>
          Create session
        </button>
        <button type="button" className="btn btn-quiet" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
