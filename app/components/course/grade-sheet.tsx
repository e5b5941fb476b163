'use client';
// The instructor's grade sheet: students × assessments, every cell an input that saves on
// change (blur or Enter). Clearing a recorded cell deletes that grade.
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { Assessment, Grade } from '../../lib/documents';
import { DeleteGradeMutation, GradeSheetQuery, RecordGradeMutation } from '../../lib/documents';
import { isPending, usePendingWrites } from '../../lib/offline/react';
import { errorMessage } from '../../lib/urql';
import { Empty, ErrorNote, formatPercent, formatScore, Loading } from '../status';
import { AssessmentMenu } from './assessment-menu';
import { GradeHistory } from './grade-history';
import { NewAssessmentForm } from './new-assessment-form';

type Student = { id: string; name: string; email: string };
type CellState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; message: string };

/** How long a colleague's edit stays highlighted (the CSS animation runs as long). */
const HIGHLIGHT_MS = 2_500;

function GradeCell({
  assessment,
  student,
  grade,
}: {
  assessment: Assessment;
  student: Student;
  grade: Grade | undefined;
}) {
  const serverValue = grade ? formatScore(grade.score) : '';
  const [draft, setDraft] = useState(serverValue);
  const [focused, setFocused] = useState(false);
  const [state, setState] = useState<CellState>({ kind: 'idle' });
  const [highlight, setHighlight] = useState(0); // > 0 while highlighted; a new value restarts it
  const [showHistory, setShowHistory] = useState(false);
  const [, recordGrade] = useMutation(RecordGradeMutation);
  const [, deleteGrade] = useMutation(DeleteGradeMutation);
  // Offline, the save waits in the queue (its promise settles once it is sent): say so.
  const waiting = isPending(usePendingWrites(), 'RecordGrade', { assessmentId: assessment.id, studentId: student.id });
  // The value the person started editing from: leaving a cell untouched never saves it, so a
  // colleague's edit that arrived meanwhile is not overwritten with the old value.
  const base = useRef(serverValue);
  const shown = useRef(serverValue);
  const draftRef = useRef(draft);
  draftRef.current = draft;

  // Someone else's edit (or a refetch) shows up unless this cell is being edited; either way a
  // change that did not come from this cell's own save is highlighted briefly.
  useEffect(() => {
    if (shown.current === serverValue) return;
    shown.current = serverValue;
    const typed = draftRef.current.trim();
    const ownSave = typed === serverValue || (typed !== '' && Number(typed) === grade?.score);
    if (ownSave) return setHighlight(0);
    setHighlight((h) => h + 1);
    const timer = setTimeout(() => setHighlight(0), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [serverValue, grade?.score]);
  useEffect(() => {
    if (!focused && state.kind !== 'error') {
      setDraft(serverValue);
      base.current = serverValue;
    }
  }, [serverValue, focused, state.kind]);

  async function save() {
    const text = draft.trim();
    if (text === serverValue || (text === base.current && state.kind !== 'error')) {
      // Unchanged by this person: show the latest value (maybe a colleague's) instead.
      setDraft(serverValue);
      base.current = serverValue;
      if (state.kind === 'error') setState({ kind: 'idle' });
      return;
    }
    if (text === '') {
      if (!grade) return;
      setState({ kind: 'saving' });
      const r = await deleteGrade({ id: grade.id });
      setState(r.error ? { kind: 'error', message: errorMessage(r.error) } : { kind: 'saved' });
      return;
    }
    const score = Number(text);
    if (!Number.isFinite(score)) {
      setState({ kind: 'error', message: 'Enter a number.' });
      return;
    }
    setState({ kind: 'saving' });
    const r = await recordGrade({ assessmentId: assessment.id, studentId: student.id, score });
    setState(r.error ? { kind: 'error', message: errorMessage(r.error) } : { kind: 'saved' });
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'Enter') void save();
    if (e.key === 'Escape') {
      setDraft(serverValue);
      base.current = serverValue;
      setState({ kind: 'idle' });
    }
  }

  const errorId = `err-${assessment.id}-${student.id}`;
  const changedWhileEditing = focused && serverValue !== base.current;
  return (
    <td
      // key-less restart of the animation: the attribute's value changes with every new edit
      className={`grade-cell is-${state.kind}${highlight ? ` flash-${highlight % 2}` : ''}`}
      data-state={state.kind}
      data-highlight={highlight ? 'true' : undefined}
    >
      <input
        type="number"
        inputMode="decimal"
        step="any"
        min={0}
        max={assessment.maxScore}
        className="cell-input"
        aria-label={`${assessment.title} score for ${student.name}`}
        aria-invalid={state.kind === 'error' ? true : undefined}
        aria-describedby={state.kind === 'error' ? errorId : undefined}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onFocus={() => {
          base.current = serverValue;
          setFocused(true);
        }}
        onBlur={() => {
          setFocused(false);
          void save();
        }}
        onKeyDown={onKeyDown}
      />
      <button
        type="button"
        className="btn btn-small btn-quiet history-button"
        aria-label={`History of ${assessment.title} for ${student.name}`}
        aria-expanded={showHistory}
        onClick={() => setShowHistory(!showHistory)}
      >
        ⋯
      </button>
      {showHistory && (
        <GradeHistory
          assessmentId={assessment.id}
          studentId={student.id}
          label={`${assessment.title}, ${student.name}`}
        />
      )}
      {state.kind === 'error' && (
        <span id={errorId} className="cell-error" role="alert">
          {state.message}
        </span>
      )}
      {waiting ? (
        <span className="pill pill-pending" data-testid="grade-pending">
          Waiting to send
        </span>
      ) : (
        state.kind === 'saving' && (
          <span className="visually-hidden" role="status">
            Saving…
          </span>
        )
      )}
      {changedWhileEditing && (
        <span className="cell-note" role="status">
          Now {serverValue === '' ? 'empty' : serverValue}
        </span>
      )}
      {highlight > 0 && !changedWhileEditing && (
        <span className="visually-hidden" role="status">
          Updated to {serverValue === '' ? 'no grade' : serverValue}
        </span>
      )}
    </td>
  );
}

export function GradeSheet({ courseId }: { courseId: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: GradeSheetQuery, variables: { id: courseId } });
  if (fetching && !data) return <Loading label="Loading grade sheet…" />;
  // students is null (with a FORBIDDEN error) for anyone but the course's staff.
  if (!data?.course?.students)
    return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const { students, assessments, standings } = data.course;
  const grades = new Map<string, Grade>();
  for (const a of assessments) for (const g of a.grades) grades.set(`${a.id}:${g.student.id}`, g);
  const standingOf = new Map(standings.map((s) => [s.student.id, s]));

  return (
    <div className="stack">
      <div className="row-between">
        <h2>Grade sheet</h2>
        <NewAssessmentForm courseId={courseId} />
      </div>
      {students.length === 0 && <Empty>No students are enrolled yet.</Empty>}
      {students.length > 0 && assessments.length === 0 && <Empty>No assessments yet: add one to start grading.</Empty>}
      {students.length > 0 && assessments.length > 0 && (
        <div className="table-wrap sheet-wrap">
          <table className="table sheet" data-testid="grade-sheet">
            <caption className="visually-hidden">Grade sheet: students by assessment</caption>
            <thead>
              <tr>
                <th scope="col" className="sticky-col">
                  Student
                </th>
                {assessments.map((a) => (
                  <th scope="col" key={a.id} className="num" data-testid={`column-${a.title}`}>
                    {a.title}
                    <AssessmentMenu assessment={a} />
                    <span className="th-sub">
                      max {formatScore(a.maxScore)} · w {formatScore(a.weight)}
                    </span>
                  </th>
                ))}
                <th scope="col" className="num">
                  Standing
                </th>
              </tr>
            </thead>
            <tbody>
              {students.map((s) => {
                const st = standingOf.get(s.id);
                return (
                  <tr key={s.id} data-testid={`row-${s.email}`}>
                    <th scope="row" className="sticky-col">
                      <span className="student-name">{s.name}</span>
                      <span className="th-sub">{s.email}</span>
                    </th>
                    {assessments.map((a) => (
                      <GradeCell key={a.id} assessment={a} student={s} grade={grades.get(`${a.id}:${s.id}`)} />
                    ))}
                    <td className="num" data-testid="standing-average">
                      {formatPercent(st?.average)}
                      {st && <span className="th-sub">{`${st.graded}/${st.total}`}</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
