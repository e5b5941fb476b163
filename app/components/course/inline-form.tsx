'use client';
import { type FormEvent, type ReactNode, useState } from 'react';
import type { CombinedError } from 'urql';
import { ErrorNote } from '../status';

/**
 * A button that opens a small form in place (new assessment, session, poll). The form closes
 * when `onSubmit` reports success; its fields and extra actions come from the caller.
 */
export function InlineForm(props: {
  openLabel: string;
  formLabel: string;
  submitLabel: string;
  canSubmit: boolean;
  error?: CombinedError;
  onSubmit: () => Promise<boolean>;
  extraActions?: ReactNode;
  children: ReactNode;
}) {
  const [open, setOpen] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (await props.onSubmit()) setOpen(false);
  }
  if (!open) {
    return (
      <button type="button" className="btn" onClick={() => setOpen(true)} aria-expanded="false">
        {props.openLabel}
      </button>
    );
  }
  return (
    <form className="card form inline-form" onSubmit={submit} aria-label={props.formLabel}>
      {props.children}
      {props.error && <ErrorNote error={props.error} />}
      <div className="actions">
        {props.extraActions}
        <button type="submit" className="btn btn-primary" disabled={!props.canSubmit}>
          {props.submitLabel}
        </button>
        <button type="button" className="btn btn-quiet" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
