'use client';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { isPendingId } from '../../lib/cache';
import {
  type AttendanceRecord,
  AttendanceSheetQuery,
  type AttendanceStatus,
  type AttendanceTotals,
  MarkAllPresentMutation,
  MyAttendanceQuery,
  RecordAttendanceMutation,
} from '../../lib/documents';
import { isPending, usePendingWrites } from '../../lib/offline/react';
import { errorMessage } from '../../lib/urql';
import { Empty, ErrorNote, formatDateTime, Loading } from '../status';
import { NewSessionForm } from './new-session-form';
import { SessionActions } from './session-actions';

const STATUSES: AttendanceStatus[] = ['PRESENT', 'LATE', 'ABSENT', 'EXCUSED'];
const statusLabel: Record<AttendanceStatus, string> = {
  PRESENT: 'Present',
  LATE: 'Late',
  ABSENT: 'Absent',
  EXCUSED: 'Excused',
};

function Totals({ totals, testId }: { totals: AttendanceTotals | null | undefined; testId?: string }) {
  if (!totals) return <span className="muted">—</span>;
  return (
    <span className="totals" data-testid={testId}>
      <span title="Present">{totals.present} P</span> · <span title="Late">{totals.late} L</span> ·{' '}
      <span title="Absent">{totals.absent} A</span> · <span title="Excused">{totals.excused} E</span>
    </span>
  );
}

function MyAttendance({ courseId }: { courseId: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: MyAttendanceQuery, variables: { id: courseId } });
  if (fetching && !data) return <Loading label="Loading attendance…" />;
  if (!data?.course) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const { sessions, myAttendanceTotals: t } = data.course;
  return (
    <div className="stack">
      <dl className="facts facts-large" data-testid="my-attendance-totals">
        {(['present', 'late', 'absent', 'excused'] as const).map((k) => (
          <div key={k}>
            <dt>{k[0].toUpperCase() + k.slice(1)}</dt>
            <dd>{t ? t[k] : 0}</dd>
          </div>
        ))}
        <div>
          <dt>Recorded</dt>
          <dd>{t ? `${t.recorded} of ${t.sessions}` : '—'}</dd>
        </div>
      </dl>
      {sessions.length === 0 ? (
        <Empty>No class sessions yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">My attendance</caption>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">When</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id}>
                  <th scope="row">{s.title}</th>
                  <td data-testid={`session-time-${s.title}`}>
                    {formatDateTime(s.startsAt)}
                    {s.cancelledAt && <span className="pill pill-absent"> Cancelled</span>}
                  </td>
                  <td>
                    {s.myRecord ? (
                      <span className={`pill pill-${s.myRecord.status.toLowerCase()}`}>
                        {statusLabel[s.myRecord.status]}
                      </span>
                    ) : (
                      <span className="muted">Not recorded</span>
                    )}
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

const statusInitial: Record<AttendanceStatus, string> = { PRESENT: 'P', LATE: 'L', ABSENT: 'A', EXCUSED: 'E' };

/** One tap per status, big enough for a thumb; works offline (the mark waits and shows it). */
function StatusButtons({
  sessionId,
  student,
  record,
  pending,
}: {
  sessionId: string;
  student: { id: string; name: string };
  record?: AttendanceRecord;
  pending: boolean;
}) {
  const [, recordAttendance] = useMutation(RecordAttendanceMutation);
  const [error, setError] = useState('');
  const errorId = `att-err-${sessionId}-${student.id}`;
  async function mark(status: AttendanceStatus) {
    setError('');
    const r = await recordAttendance({ sessionId, studentId: student.id, status });
    if (r.error) setError(errorMessage(r.error));
  }
  return (
    <>
      <fieldset className="status-buttons" aria-describedby={error ? errorId : undefined}>
        <legend className="visually-hidden">Attendance for {student.name}</legend>
        {STATUSES.map((s) => {
          const checked = record?.status === s;
          return (
            <label
              key={s}
              className={checked ? `status-button pill-${s.toLowerCase()}` : 'status-button'}
              title={statusLabel[s]}
            >
              <input
                type="radio"
                className="visually-hidden"
                name={`attendance-${sessionId}-${student.id}`}
                aria-label={statusLabel[s]}
                checked={checked}
                onChange={() => void mark(s)}
              />
              <span className="status-initial" aria-hidden="true">
                {statusInitial[s]}
              </span>
              <span className="status-word" aria-hidden="true">
                {statusLabel[s]}
              </span>
            </label>
          );
        })}
      </fieldset>
      {pending && (
        <span className="pill pill-pending" data-testid="attendance-pending">
          Waiting to send
        </span>
      )}
      {error && (
        <span id={errorId} className="cell-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** "Mark everyone present": everyone not yet marked; then one tap per exception. */
function MarkAllPresent({ sessionId, unmarked }: { sessionId: string; unmarked: number }) {
  const [, markAllPresent] = useMutation(MarkAllPresentMutation);
  const [error, setError] = useState('');
  return (
    <div className="row-between">
      <button
        type="button"
        className="btn"
        disabled={unmarked === 0}
        onClick={async () => {
          setError('');
          const r = await markAllPresent({ sessionId });
          if (r.error) setError(errorMessage(r.error));
        }}
      >
        Mark everyone present
      </button>
      {error && (
        <span className="cell-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** The session to show first: the latest one that has started, else the first one. */
function defaultSession(sessions: { id: string; startsAt: string }[]): string | undefined {
  const now = Date.now();
  const started = sessions.filter((s) => Date.parse(s.startsAt) <= now);
  return (started[started.length - 1] ?? sessions[0])?.id;
}

function AttendanceSheet({ courseId }: { courseId: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: AttendanceSheetQuery, variables: { id: courseId } });
  const [picked, setPicked] = useState<string | undefined>();
  const pending = usePendingWrites();
  if (fetching && !data) return <Loading label="Loading attendance…" />;
  // students is null (with a FORBIDDEN error) for anyone but the course's staff.
  if (!data?.course?.students)
    return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const { students, sessions, attendanceTotals } = data.course;
  const sessionId = picked && sessions.some((s) => s.id === picked) ? picked : defaultSession(sessions);
  const session = sessions.find((s) => s.id === sessionId);
  const records = new Map((session?.records ?? []).map((r) => [r.student.id, r]));
  const totals = new Map(attendanceTotals.map((t) => [t.student.id, t]));

  return (
    <div className="stack">
      <div className="row-between">
        <h2>Attendance</h2>
        <NewSessionForm courseId={courseId} onCreated={setPicked} />
      </div>
      {sessions.length === 0 ? (
        <Empty>No class sessions yet: add one to take attendance.</Empty>
      ) : (
        <>
          <label className="field field-inline">
            <span>Session</span>
            <select value={sessionId} onChange={(e) => setPicked(e.target.value)}>
              {sessions.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title} — {formatDateTime(s.startsAt)}
                  {s.cancelledAt ? ' (cancelled)' : ''}
                </option>
              ))}
            </select>
          </label>
          {session && (
            <>
              <p className="muted">
                {records.size} of {students.length} recorded
              </p>
              <SessionActions key={session.id} session={session} />
              {!session.cancelledAt && (
                <MarkAllPresent sessionId={session.id} unmarked={students.length - records.size} />
              )}
            </>
          )}
          {students.length === 0 ? (
            <Empty>No students are enrolled yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="attendance-sheet">
                <caption className="visually-hidden">Attendance for {session?.title}</caption>
                <thead>
                  <tr>
                    <th scope="col">Student</th>
                    <th scope="col">Status</th>
                    <th scope="col">Course totals</th>
                  </tr>
                </thead>
                <tbody>
                  {students.map((s) => (
                    <tr key={s.id}>
                      <th scope="row">{s.name}</th>
                      <td>
                        {session && (
                          <StatusButtons
                            sessionId={session.id}
                            student={s}
                            record={records.get(s.id)}
                            pending={
                              isPending(pending, 'RecordAttendance', { sessionId: session.id, studentId: s.id }) ||
                              (isPending(pending, 'MarkAllPresent', { sessionId: session.id }) &&
                                isPendingId(records.get(s.id)?.id ?? ''))
                            }
                          />
                        )}
                      </td>
                      <td>
                        <Totals totals={totals.get(s.id)} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </div>
  );
}

export function AttendanceTab({ courseId, manage }: { courseId: string; manage: boolean }) {
  return manage ? <AttendanceSheet courseId={courseId} /> : <MyAttendance courseId={courseId} />;
}
