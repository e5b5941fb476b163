'use client';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { AttendanceSheetQuery, MyAttendanceQuery, RecordAttendanceMutation } from '../../lib/documents';
import type { AttendanceRecord, AttendanceStatus, AttendanceTotals } from '../../lib/types';
import { errorMessage } from '../../lib/urql';
import { Empty, ErrorNote, formatDateTime, Loading } from '../status';
import { NewSessionForm } from './new-session-form';

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
                  <td>{formatDateTime(s.startsAt)}</td>
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

function StatusSelect({
  sessionId,
  student,
  record,
}: {
  sessionId: string;
  student: { id: string; name: string };
  record?: AttendanceRecord;
}) {
  const [{ fetching }, recordAttendance] = useMutation(RecordAttendanceMutation);
  const [error, setError] = useState('');
  const errorId = `att-err-${sessionId}-${student.id}`;
  async function onChange(status: AttendanceStatus) {
    setError('');
    const r = await recordAttendance({ sessionId, studentId: student.id, status });
    if (r.error) setError(errorMessage(r.error));
  }
  return (
    <>
      <select
        aria-label={`Attendance for ${student.name}`}
        value={record?.status ?? ''}
        onChange={(e) => void onChange(e.target.value as AttendanceStatus)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        aria-busy={fetching || undefined}
        className={record ? `status-select pill-${record.status.toLowerCase()}` : 'status-select'}
      >
        {!record && <option value="">Not recorded</option>}
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {statusLabel[s]}
          </option>
        ))}
      </select>
      {error && (
        <span id={errorId} className="cell-error" role="alert">
          {error}
        </span>
      )}
    </>
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
  if (fetching && !data) return <Loading label="Loading attendance…" />;
  if (!data?.course) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
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
                </option>
              ))}
            </select>
          </label>
          {session && (
            <p className="muted">
              {records.size} of {students.length} recorded
            </p>
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
                        {session && <StatusSelect sessionId={session.id} student={s} record={records.get(s.id)} />}
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
