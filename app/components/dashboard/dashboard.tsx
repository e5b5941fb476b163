'use client';
import Link from 'next/link';
import { useQuery } from 'urql';
import type { CourseSummary } from '../../lib/documents';
import { CoursesQuery } from '../../lib/documents';
import { useSession } from '../../lib/session';
import { ChatUnreadLink } from '../course/chat-unread';
import { StatsFacts, useLiveStats } from '../course/course-stats';
import { Empty, ErrorNote, formatPercent, Loading } from '../status';
import { AdminPanel } from './admin-panel';

function StudentCourse({ course }: { course: CourseSummary }) {
  const s = course.myStanding;
  return (
    <li className="course-card" data-testid={`course-${course.code}`}>
      <Link href={`/courses/${course.id}`} className="course-link">
        <span className="course-code">{course.code}</span>
        <span className="course-title">{course.title}</span>
      </Link>
      <ChatUnreadLink courseId={course.id} />
      <dl className="facts">
        <div>
          <dt>Standing</dt>
          <dd data-testid="standing-average">{formatPercent(s?.average)}</dd>
        </div>
        <div>
          <dt>Graded</dt>
          <dd>{s ? `${s.graded} of ${s.total}` : '—'}</dd>
        </div>
      </dl>
    </li>
  );
}

function StaffCourse({ course, reload }: { course: CourseSummary; reload: () => void }) {
  useLiveStats(course.id, reload);
  return (
    <li className="course-card" data-testid={`course-${course.code}`}>
      <Link href={`/courses/${course.id}`} className="course-link">
        <span className="course-code">{course.code}</span>
        <span className="course-title">{course.title}</span>
      </Link>
      <ChatUnreadLink courseId={course.id} />
      <dl className="facts">
        <div>
          <dt>Students</dt>
          <dd data-testid="student-count">{course.studentCount}</dd>
        </div>
        <div>
          <dt>Instructors</dt>
          <dd>{course.instructors.map((i) => i.name).join(', ') || '—'}</dd>
        </div>
        <StatsFacts stats={course.stats} />
      </dl>
    </li>
  );
}

export function Dashboard() {
  const session = useSession();
  const role = session?.user.role;
  const [{ data, error, fetching }, refetch] = useQuery({
    query: CoursesQuery,
    variables: { student: role === 'STUDENT' },
    pause: !role,
  });
  const heading = role === 'STUDENT' ? 'My courses' : role === 'INSTRUCTOR' ? 'Courses I teach' : 'All courses';

  return (
    <div className="stack">
      <h1>Hello, {session?.user.name.split(' ')[0]}</h1>
      <section aria-labelledby="courses-heading" className="stack">
        <h2 id="courses-heading">{heading}</h2>
        {error && !data && <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
        {fetching && !data && <Loading label="Loading courses…" />}
        {data && data.courses.length === 0 && (
          <Empty>{role === 'STUDENT' ? 'You are not enrolled in any course yet.' : 'No courses yet.'}</Empty>
        )}
        {data && data.courses.length > 0 && (
          <ul className="course-grid">
            {data.courses.map((c) =>
              role === 'STUDENT' ? (
                <StudentCourse key={c.id} course={c} />
              ) : (
                <StaffCourse key={c.id} course={c} reload={() => refetch({ requestPolicy: 'network-only' })} />
              ),
            )}
          </ul>
        )}
      </section>
      {role === 'ADMIN' && <AdminPanel courses={data?.courses ?? []} />}
    </div>
  );
}
