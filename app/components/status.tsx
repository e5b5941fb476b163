'use client';
import type { CombinedError } from 'urql';
import { errorMessage } from '../lib/urql';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="status status-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorNote({ error, message, retry }: { error?: CombinedError; message?: string; retry?: () => void }) {
  const text = message ?? errorMessage(error);
  if (!text) return null;
  return (
    <div className="status status-error" role="alert">
      <span>{text}</span>
      {retry && (
        <button type="button" className="btn btn-small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="status status-empty">{children}</p>;
}

/** "2026-11-21T09:00:00Z" → "21 Nov 2026, 09:00" in the reader's locale and zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatPercent(value: number | null | undefined): string {
  return value == null ? '—' : `${Math.round(value * 10) / 10}%`;
}

export function formatScore(value: number): string {
  return String(Math.round(value * 100) / 100);
}
