'use client';
// Who changed a grade, when, and from what to what (deletions too): opened from a grade cell.
import { useQuery } from 'urql';
import { GradeHistoryQuery } from '../../lib/account-documents';
import { Empty, ErrorNote, formatDateTime, formatScore, Loading } from '../status';

const score = (value: number | null) => (value == null ? '—' : formatScore(value));

export function GradeHistory({
  assessmentId,
  studentId,
  label,
}: {
  assessmentId: string;
  studentId: string;
  label: string;
}) {
  const [{ data, error, fetching }] = useQuery({
    query: GradeHistoryQuery,
    variables: { assessmentId, studentId },
    requestPolicy: 'network-only',
  });
  return (
    <div className="grade-history card" role="dialog" aria-label={`History: ${label}`} data-testid="grade-history">
      <strong>History: {label}</strong>
      {fetching && !data && <Loading label="Loading history…" />}
      {error && <ErrorNote error={error} />}
      {data && data.gradeHistory.length === 0 && <Empty>No changes recorded.</Empty>}
      {data && data.gradeHistory.length > 0 && (
        <ol className="list-plain stack-tight">
          {[...data.gradeHistory].reverse().map((c) => (
            <li key={c.id} data-testid="grade-change">
              <span>
                {c.action === 'CREATED' && `Recorded ${score(c.newScore)}`}
                {c.action === 'UPDATED' && `${score(c.oldScore)} → ${score(c.newScore)}`}
                {c.action === 'DELETED' && `Deleted (was ${score(c.oldScore)})`}
                {c.newNote && c.newNote !== c.oldNote ? ` · note “${c.newNote}”` : ''}
              </span>
              <span className="muted">
                {' '}
                by {c.changedBy?.name ?? 'unknown'} · {formatDateTime(c.changedAt)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
