'use client';
import { useState } from 'react';
import { useQuery } from 'urql';
import { MyGradesQuery } from '../../lib/documents';
import { useSession } from '../../lib/session';
import { Empty, ErrorNote, formatPercent, formatScore, Loading } from '../status';
import { GradeHistory } from './grade-history';
import { GradeSheet } from './grade-sheet';

export const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const kindLabel = { EXAM: 'Exam', QUIZ: 'Quiz', ASSIGNMENT: 'Assignment', MERIT: 'Merit' } as const;

/** A student's own trail of one grade (who changed it, when, from what), opened from its row. */
function MyGradeHistory({ assessmentId, title }: { assessmentId: string; title: string }) {
  const session = useSession();
  const [open, setOpen] = useState(false);
  if (!session) return null;
  return (
    <span className="grade-cell">
      <button
        type="button"
        className="btn btn-small btn-quiet history-button"
        aria-label={`History of ${title}`}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open && <GradeHistory assessmentId={assessmentId} studentId={session.user.id} label={title} />}
    </span>
  );
}

function MyGrades({ courseId }: { courseId: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: MyGradesQuery, variables: { id: courseId } });
  if (fetching && !data) return <Loading label="Loading grades…" />;
  if (!data?.course) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const { assessments, myStanding } = data.course;
  return (
    <div className="stack">
      <dl className="facts facts-large" data-testid="my-standing">
        <div>
          <dt>Standing</dt>
          <dd data-testid="standing-average">{formatPercent(myStanding?.average)}</dd>
        </div>
        <div>
          <dt>Graded</dt>
          <dd data-testid="standing-graded">{myStanding ? `${myStanding.graded} of ${myStanding.total}` : '—'}</dd>
        </div>
      </dl>
      {assessments.length === 0 ? (
        <Empty>No assessments in this course yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">My grades</caption>
            <thead>
              <tr>
                <th scope="col">Assessment</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">
                  Score
                </th>
                <th scope="col" className="num">
                  Weight
                </th>
                <th scope="col">
                  <span className="visually-hidden">History</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {assessments.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{a.title}</th>
                  <td>{kindLabel[a.kind] ?? a.kind}</td>
                  <td className="num" data-testid={`grade-${slug(a.title)}`}>
                    {a.myGrade ? (
                      <>
                        <strong>{formatScore(a.myGrade.score)}</strong>
                        <span className="muted"> / {formatScore(a.maxScore)}</span>
                      </>
                    ) : (
                      <span className="muted">Not graded</span>
                    )}
                  </td>
                  <td className="num">{formatScore(a.weight)}</td>
                  <td>
                    <MyGradeHistory assessmentId={a.id} title={a.title} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function GradesTab({ courseId, manage }: { courseId: string; manage: boolean }) {
  return manage ? <GradeSheet courseId={courseId} /> : <MyGrades courseId={courseId} />;
}
