'use client';
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { CourseSummary, Role } from '../../lib/documents';
import { CreateCourseMutation, CreateUserMutation, EnrolStudentMutation, UsersQuery } from '../../lib/documents';
import { errorMessage } from '../../lib/urql';
import { Empty, ErrorNote, Loading } from '../status';
import { CourseAdmin } from './course-admin';

/** A one-line success message that screen readers announce. */
function Done({ text }: { text: string }) {
  return text ? (
    <p className="status status-ok" role="status">
      {text}
    </p>
  ) : null;
}

function CreateCourseForm() {
  const [code, setCode] = useState('');
  const [title, setTitle] = useState('');
  const [done, setDone] = useState('');
  const [{ fetching, error }, create] = useMutation(CreateCourseMutation);
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone('');
    const r = await create({ code: code.trim(), title: title.trim() });
    if (r.data) {
      setDone(`Created ${r.data.createCourse.code}.`);
      setCode('');
      setTitle('');
    }
  }
  return (
    <form className="card form" onSubmit={onSubmit} aria-labelledby="new-course">
      <h3 id="new-course">New course</h3>
      <label className="field">
        <span>Code</span>
        <input value={code} onChange={(e) => setCode(e.target.value)} required placeholder="e.g. BIO201" />
      </label>
      <label className="field">
        <span>Title</span>
        <input value={title} onChange={(e) => setTitle(e.target.value)} required />
      </label>
      {error && <ErrorNote error={error} />}
      <Done text={done} />
      <button type="submit" className="btn btn-primary" disabled={fetching || !code.trim() || !title.trim()}>
        Create course
      </button>
    </form>
  );
}

function CreateUserForm() {
  const [form, setForm] = useState({ name: '', email: '', role: 'STUDENT' as Role, password: '' });
  const [done, setDone] = useState('');
  const [{ fetching, error }, create] = useMutation(CreateUserMutation);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone('');
    const r = await create({ ...form, name: form.name.trim(), email: form.email.trim() });
    if (r.data) {
      setDone(`Created ${r.data.createUser.email}.`);
      setForm({ name: '', email: '', role: form.role, password: '' });
    }
  }
  return (
    <form className="card form" onSubmit={onSubmit} aria-labelledby="new-user">
      <h3 id="new-user">New user</h3>
      <label className="field">
        <span>Name</span>
        <input value={form.name} onChange={set('name')} required autoComplete="off" />
      </label>
      <label className="field">
        <span>Email</span>
        <input type="email" value={form.email} onChange={set('email')} required autoComplete="off" />
      </label>
      <label className="field">
        <span>Role</span>
        <select value={form.role} onChange={set('role')}>
          <option value="STUDENT">Student</option>
          <option value="INSTRUCTOR">Instructor</option>
          <option value="ADMIN">Admin</option>
        </select>
      </label>
      <label className="field">
        <span>Initial password</span>
        <input type="password" value={form.password} onChange={set('password')} required autoComplete="new-password" />
      </label>
      {error && <ErrorNote error={error} />}
      <Done text={done} />
      <button
        type="submit"
        className="btn btn-primary"
        disabled={fetching || !form.name || !form.email || !form.password}
      >
        Create user
      </button>
    </form>
  );
}

function EnrolForm({
  courses,
  students,
}: {
  courses: CourseSummary[];
  students: { id: string; name: string; email: string }[];
}) {
  const [courseId, setCourseId] = useState('');
  const [studentId, setStudentId] = useState('');
  const [done, setDone] = useState('');
  const [{ fetching, error }, enrol] = useMutation(EnrolStudentMutation);
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone('');
    const r = await enrol({ courseId, studentId });
    if (r.data) {
      const c = courses.find((x) => x.id === courseId);
      const s = students.find((x) => x.id === studentId);
      setDone(`Enrolled ${s?.name ?? 'student'} in ${c?.code ?? 'the course'}.`);
    }
  }
  return (
    <form className="card form" onSubmit={onSubmit} aria-labelledby="enrol">
      <h3 id="enrol">Enrol a student</h3>
      <label className="field">
        <span>Course</span>
        <select value={courseId} onChange={(e) => setCourseId(e.target.value)} required>
          <option value="">Choose a course…</option>
          {courses.map((c) => (
            <option key={c.id} value={c.id}>
              {c.code} — {c.title}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Student</span>
        <select value={studentId} onChange={(e) => setStudentId(e.target.value)} required>
          <option value="">Choose a student…</option>
          {students.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({s.email})
            </option>
          ))}
        </select>
      </label>
      {error && <ErrorNote message={errorMessage(error)} />}
      <Done text={done} />
      <button type="submit" className="btn btn-primary" disabled={fetching || !courseId || !studentId}>
        Enrol
      </button>
    </form>
  );
}

export function AdminPanel({ courses }: { courses: CourseSummary[] }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: UsersQuery, variables: {} });
  const users = data?.users ?? [];
  const students = users.filter((u) => u.role === 'STUDENT');
  return (
    <>
      <section aria-labelledby="admin-actions" className="stack">
        <h2 id="admin-actions">Manage</h2>
        <div className="form-grid">
          <CreateCourseForm />
          <CreateUserForm />
          <EnrolForm courses={courses} students={students} />
        </div>
        <CourseAdmin courses={courses} instructors={users.filter((u) => u.role === 'INSTRUCTOR')} />
      </section>
      <section aria-labelledby="users-heading" className="stack">
        <h2 id="users-heading">Users</h2>
        {error && !data && <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
        {fetching && !data && <Loading label="Loading users…" />}
        {data && users.length === 0 && <Empty>No users yet.</Empty>}
        {users.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">All users</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id}>
                    <th scope="row">{u.name}</th>
                    <td>{u.email}</td>
                    <td>{u.role.toLowerCase()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
