'use client';
// What happened to writes made offline: how many still wait (in the header), and a notice for
// each one the server refused when it was replayed — what happened and what to do now.
import { usePendingWrites, useRefusedWrites } from '../lib/offline/react';
import type { RefusedWrite } from '../lib/offline/writes';

export function PendingWritesBadge() {
  const pending = usePendingWrites();
  if (pending.length === 0) return null;
  return (
    <span className="pill pill-pending" data-testid="pending-writes" title="Sent as soon as the connection is back">
      {pending.length === 1 ? '1 change waiting to be sent' : `${pending.length} changes waiting to be sent`}
    </span>
  );
}

const quoted = (text: unknown) => {
  const s = String(text ?? '');
  return s.length > 120 ? `“${s.slice(0, 117)}…”` : `“${s}”`;
};

/** What was lost, in the person's words, and what to do about it. */
function explain(write: RefusedWrite): { title: string; next: string } {
  switch (write.operation) {
    case 'CastVote':
      return { title: 'Your vote was not counted', next: 'Open the poll: if it is still open, vote again.' };
    case 'RecordAttendance':
    case 'MarkAllPresent':
      return { title: 'Attendance was not saved', next: 'Check the attendance sheet and mark it again.' };
    case 'RecordGrade':
      return { title: 'A grade was not saved', next: 'Check the grade sheet and enter it again.' };
    case 'CreatePost':
      return {
        title: 'Your post was not published',
        next: `Copy your text and post it again if you still can: ${quoted(write.variables.body)}`,
      };
    case 'CreateComment':
      return {
        title: 'Your comment was not published',
        next: `Copy your text and send it again if you still can: ${quoted(write.variables.body)}`,
      };
    case 'SendMessage':
      return {
        title: 'Your message was not sent',
        next: `Copy your text and send it again if you still can: ${quoted(write.variables.body)}`,
      };
    default:
      return { title: 'A change you made offline was not saved', next: 'Check the page and make it again.' };
  }
}

export function RefusedWrites() {
  const { refused, dismiss } = useRefusedWrites();
  if (refused.length === 0) return null;
  return (
    <div className="notices" aria-live="assertive">
      {refused.map((write) => {
        const { title, next } = explain(write);
        return (
          <div key={write.key} className="notice notice-error" role="alert" data-testid="refused-write">
            <strong>{title}:</strong> {write.message.replace(/\.$/, '')}. {next}
            <button
              type="button"
              className="toast-close"
              onClick={() => dismiss(write.key)}
              aria-label={`Dismiss “${title}”`}
            >
              ×
            </button>
          </div>
        );
      })}
    </div>
  );
}
