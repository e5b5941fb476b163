'use client';
import { useState } from 'react';
import { useMutation } from 'urql';
import { CreateSessionMutation } from '../../lib/documents';
import { InlineForm } from './inline-form';

/** "YYYY-MM-DDTHH:mm" for a datetime-local input, in local time. */
export function localInputValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function NewSessionForm({ courseId, onCreated }: { courseId: string; onCreated?: (id: string) => void }) {
  const [title, setTitle] = useState('');
  const [startsAt, setStartsAt] = useState(() => localInputValue(new Date()));
  const [{ fetching, error }, create] = useMutation(CreateSessionMutation);

  async function onSubmit() {
    const r = await create({ courseId, title: title.trim(), startsAt: new Date(startsAt).toISOString() });
    if (!r.data) return false;
    setTitle('');
    onCreated?.(r.data.createClassSession.id);
    return true;
  }
  return (
    <InlineForm
      openLabel="Add session"
      formLabel="New class session"
      submitLabel="Create session"
      canSubmit={!fetching && Boolean(title.trim()) && Boolean(startsAt)}
      error={error}
      onSubmit={onSubmit}
    >
      <label className="field">
        <span>Title</span>
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoFocus />
      </label>
      <label className="field">
        <span>Starts at</span>
        <input type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} required />
      </label>
    </InlineForm>
  );
}
