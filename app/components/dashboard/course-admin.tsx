'use client';
// Admin: one course's details and membership — rename it, unenrol students, assign or remove
// instructors. Everyone concerned sees the change live (courseChanged).
import { type FormEvent, useState } from 'react';
import { type CombinedError, useMutation, useQuery } from 'urql';
import {
  AssignInstructorMutation,
  CourseRosterQuery,
  type CourseSummary,
  RemoveInstructorMutation,
  UnenrolStudentMutation,
  UpdateCourseMutation,
} from '../../lib/documents';
import { errorMessage } from '../../lib/urql';
import { ErrorNote, Loading } from '../status';

type Person = { id: string; name: string; email?: string };

function EditCourse({ course }: { course: { id: string; code: string; title: string } }) {
  const [code, setCode] = useState(course.code);
  const [title, setTitle] = useState(course.title);
  const [done, setDone] = useState('');
  const [{ fetching, error }, update] = useMutation(UpdateCourseMutation);
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone('');
    const r = await update({ id: course.id, code: code.trim(), title: title.trim() });
    if (r.data) setDone(`Saved ${r.data.updateCourse.code}.`);
  }
  return (
    <form className="inline-form" onSubmit={onSubmit} aria-label="Edit course">
      <label className="field">
        <span>Code</span>
        <input value={code} onChange={(e) => setCode(e.target.value)} required />
      </label>
      <label className="field">
        <span>Title</span>
        <input value={title} onChange={(e) => setTitle(e.target.value)} required />
      </label>
      {error && <ErrorNote message={errorMessage(error)} />}
      {done && (
        <p className="status status-ok" role="status">
          {done}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={fetching || !code.trim() || !title.trim()}>
          Save course
        </button>
      </div>
    </form>
  );
}

function Roster({
  label,
  people,
  action,
  onAction,
}: {
  label: string;
  people: Person[];
  action: string;
  onAction: (person: Person) => Promise<{ error?: CombinedError }>;
}) {
  const [error, setError] = useState('');
  return (
    <div className="stack">
      <h4>{label}</h4>
      {people.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="roster">
          {people.map((p) => (
            <li key={p.id} className="row-between">
              <span>
                {p.name} {p.email && <span className="muted small">{p.email}</span>}
              </span>
              <button
                type="button"
                className="btn btn-small btn-danger"
                aria-label={`${action} ${p.name}`}
                onClick={async () => {
                  setError('');
                  const r = await onAction(p);
                  if (r.error) setError(errorMessage(r.error));
                }}
              >
                {action}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && <ErrorNote message={error} />}
    </div>
  );
}

function CourseMembers({ courseId, instructors }: { courseId: string; instructors: Person[] }) {
  const [{ data, fetching, error }] = useQuery({ query: CourseRosterQuery, variables: { id: courseId } });
  const [, unenrol] = useMutation(UnenrolStudentMutation);
  const [, removeInstructor] = useMutation(RemoveInstructorMutation);
  const [assign, assignInstructor] = useMutation(AssignInstructorMutation);
  const [instructorId, setInstructorId] = useState('');
  if (fetching && !data) return <Loading label="Loading the course…" />;
  const course = data?.course;
  if (!course?.students) return <ErrorNote error={error} />;
  const teaching = new Set(course.instructors.map((i) => i.id));
  return (
    <div className="stack">
      <EditCourse key={course.id} course={course} />
      <div className="form-grid">
        <Roster
          label="Students"
          people={course.students}
          action="Unenrol"
          onAction={(p) => unenrol({ courseId, studentId: p.id })}
        />
        <div className="stack">
          <Roster
            label="Instructors"
            people={course.instructors}
            action="Remove"
            onAction={(p) => removeInstructor({ courseId, instructorId: p.id })}
          />
          <form
            className="inline-form"
            aria-label="Assign an instructor"
            onSubmit={async (e) => {
              e.preventDefault();
              const r = await assignInstructor({ courseId, instructorId });
              if (r.data) setInstructorId('');
            }}
          >
            <label className="field">
              <span>Instructor</span>
              <select value={instructorId} onChange={(e) => setInstructorId(e.target.value)} required>
                <option value="">Choose an instructor…</option>
                {instructors
                  .filter((i) => !teaching.has(i.id))
                  .map((i) => (
                    <option key={i.id} value={i.id}>
                      {i.name}
                    </option>
                  ))}
              </select>
            </label>
            {assign.error && <ErrorNote message={errorMessage(assign.error)} />}
            <div className="actions">
              <button type="submit" className="btn" disabled={assign.fetching || !instructorId}>
                Assign
              </button>
            </div>
          </form>
        </div>
      </div>
    </div>
  );
}

export function CourseAdmin({ courses, instructors }: { courses: CourseSummary[]; instructors: Person[] }) {
  const [courseId, setCourseId] = useState('');
  const chosen = courses.some((c) => c.id === courseId) ? courseId : '';
  return (
    <section className="card stack" aria-labelledby="course-admin">
      <h3 id="course-admin">Course members</h3>
      <label className="field">
        <span>Course</span>
        <select value={chosen} onChange={(e) => setCourseId(e.target.value)}>
          <option value="">Choose a course…</option>
          {courses.map((c) => (
            <option key={c.id} value={c.id}>
              {c.code} — {c.title}
            </option>
          ))}
        </select>
      </label>
      {chosen && <CourseMembers courseId={chosen} instructors={instructors} />}
    </section>
  );
}
