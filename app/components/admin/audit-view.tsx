'use client';
// The admin audit log: privileged changes, newest first, optionally only those by or to one user;
// "Load more" pages back through older entries.
import { useState } from 'react';
import { useQuery } from 'urql';
import { AUDIT_PAGE_SIZE, type AuditEntry, AuditLogQuery, ManagedUsersQuery } from '../../lib/account-documents';
import { Empty, ErrorNote, formatDateTime, Loading } from '../status';

const actionLabel = (action: string) => action.charAt(0) + action.slice(1).toLowerCase().replaceAll('_', ' ');

function summary(entry: AuditEntry): string {
  const details = JSON.parse(entry.details) as Record<string, unknown>;
  if (entry.action === 'ROLE_CHANGED') return `${details.from} → ${details.to}`;
  if (entry.action === 'USER_UPDATED')
    return Object.entries(details)
      .map(([k, v]) => `${k}: ${(v as { from: string }).from} → ${(v as { to: string }).to}`)
      .join(', ');
  if (typeof details.sessionsEnded === 'number') return `${details.sessionsEnded} session(s) ended`;
  if (typeof details.userAgent === 'string') return `${details.userAgent} (${details.address})`;
  return '';
}

/** One page of the log; the last page shown offers the next. */
function AuditPage({
  userId,
  after,
  last,
  onMore,
}: {
  userId: string;
  after: string | null;
  last: boolean;
  onMore: (cursor: string) => void;
}) {
  const [{ data, error, fetching }] = useQuery({
    query: AuditLogQuery,
    variables: { userId: userId || null, first: AUDIT_PAGE_SIZE, after },
    requestPolicy: 'network-only',
  });
  if (fetching && !data) return <Loading label="Loading the audit log…" />;
  if (!data) return <ErrorNote error={error} />;
  const { edges, pageInfo } = data.auditLog;
  if (!after && edges.length === 0) return <Empty>Nothing recorded yet.</Empty>;
  return (
    <>
      <ol className="stack list-plain audit-list">
        {edges.map(({ node: e }) => (
          <li key={e.id} className="card audit-entry" data-testid="audit-entry">
            <strong>{actionLabel(e.action)}</strong>
            {e.targetUser && <span> · {e.targetUser.email}</span>}
            {e.course && <span> · {e.course.code}</span>}
            <span className="muted">
              {' '}
              by {e.actor?.name ?? 'the system'} · {formatDateTime(e.at)}
            </span>
            {summary(e) && <div className="muted">{summary(e)}</div>}
          </li>
        ))}
      </ol>
      {last && pageInfo.hasNextPage && pageInfo.endCursor && (
        <button type="button" className="btn" onClick={() => onMore(pageInfo.endCursor!)}>
          Load more
        </button>
      )}
    </>
  );
}

export function AuditView() {
  const [userId, setUserId] = useState('');
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const [{ data: users }] = useQuery({ query: ManagedUsersQuery });
  return (
    <div className="stack">
      <h1>Audit log</h1>
      <label className="field">
        <span>Only changes by or to</span>
        <select
          value={userId}
          onChange={(e) => {
            setUserId(e.target.value);
            setPages([null]);
          }}
        >
          <option value="">everyone</option>
          {users?.users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name} ({u.email})
            </option>
          ))}
        </select>
      </label>
      {pages.map((after, i) => (
        <AuditPage
          key={`${userId}:${after ?? 'first'}`}
          userId={userId}
          after={after}
          last={i === pages.length - 1}
          onMore={(cursor) => setPages([...pages, cursor])}
        />
      ))}
    </div>
  );
}
