'use client';
// Class statistics for staff, live: statsChanged while the socket is up; while it is down, the
// grade, attendance and course events polled in its place make the figures read again.
import { useQuery } from 'urql';
import { type CourseStats, CourseStatsQuery } from '../../lib/documents';
import { useCourseTopic } from '../../lib/live/react';
import { stats as statsTopic } from '../../lib/live/topics/stats';
import { ErrorNote, formatPercent, Loading } from '../status';

/** The two headline figures (dashboard cards and the course page). */
export function StatsFacts({ stats }: { stats: CourseStats | null | undefined }) {
  return (
    <>
      <div>
        <dt>Class average</dt>
        <dd data-testid="class-average">{formatPercent(stats?.classAverage)}</dd>
      </div>
      <div>
        <dt>Attendance</dt>
        <dd data-testid="attendance-rate">{formatPercent(stats?.attendanceRate)}</dd>
      </div>
    </>
  );
}

/** Keeps a course's statistics live while mounted; `reload` reads them again (network-only). */
export function useLiveStats(courseId: string, reload: () => void) {
  useCourseTopic(statsTopic, courseId, reload);
}

export function CourseStatsPanel({ courseId }: { courseId: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: CourseStatsQuery, variables: { id: courseId } });
  useLiveStats(courseId, () => refetch({ requestPolicy: 'network-only' }));
  if (fetching && !data) return <Loading label="Loading statistics…" />;
  const stats = data?.course?.stats;
  if (!stats) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  return (
    <section className="card stack" aria-labelledby="stats-heading" data-testid="course-stats">
      <h2 id="stats-heading">Class statistics</h2>
      <dl className="facts">
        <StatsFacts stats={stats} />
      </dl>
      {stats.assessments.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Statistics per assessment</caption>
            <thead>
              <tr>
                <th scope="col">Assessment</th>
                <th scope="col" className="num">
                  Graded
                </th>
                <th scope="col" className="num">
                  Average
                </th>
                <th scope="col" className="num">
                  Median
                </th>
              </tr>
            </thead>
            <tbody>
              {stats.assessments.map((a) => (
                <tr key={a.assessment.id} data-testid={`stats-${a.assessment.title}`}>
                  <th scope="row">{a.assessment.title}</th>
                  <td className="num" data-testid="graded">
                    {a.graded}
                  </td>
                  <td className="num">{formatPercent(a.average)}</td>
                  <td className="num">{formatPercent(a.median)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
