'use client';
// The grade sheet's column menu: edit an assessment (a new weight or maximum moves every standing,
// live for everyone) or delete it with its grades.
import { type FormEvent, useState } from 'react';
import { useMutation } from 'urql';
import {
  type Assessment,
  type AssessmentKind,
  DeleteAssessmentMutation,
  UpdateAssessmentMutation,
} from '../../lib/documents';
import { ErrorNote } from '../status';

export function AssessmentMenu({ assessment }: { assessment: Assessment }) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState(() => ({
    title: assessment.title,
    kind: assessment.kind,
    maxScore: String(assessment.maxScore),
    weight: String(assessment.weight),
  }));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [update, updateAssessment] = useMutation(UpdateAssessmentMutation);
  const [remove, deleteAssessment] = useMutation(DeleteAssessmentMutation);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  function toggle() {
    // Open on the assessment as it is now (a colleague may have changed it meanwhile).
    if (!open)
      setForm({
        title: assessment.title,
        kind: assessment.kind,
        maxScore: String(assessment.maxScore),
        weight: String(assessment.weight),
      });
    setConfirmDelete(false);
    setOpen(!open);
  }
  async function save(e: FormEvent) {
    e.preventDefault();
    const r = await updateAssessment({
      id: assessment.id,
      title: form.title.trim(),
      kind: form.kind,
      maxScore: Number(form.maxScore),
      weight: Number(form.weight),
    });
    if (r.data) setOpen(false);
  }
  async function onDelete() {
    if (!confirmDelete) return setConfirmDelete(true);
    const r = await deleteAssessment({ id: assessment.id });
    if (r.data) setOpen(false);
  }

  return (
    <span className="column-menu">
      <button
        type="button"
        className="btn btn-small btn-quiet"
        aria-label={`Options for ${assessment.title}`}
        aria-expanded={open}
        onClick={toggle}
      >
        ⋯
      </button>
      {open && (
        <form className="card form menu-popover" onSubmit={save} aria-label={`Edit ${assessment.title}`}>
          <label className="field">
            <span>Title</span>
            <input value={form.title} onChange={set('title')} required />
          </label>
          <label className="field">
            <span>Kind</span>
            <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as AssessmentKind })}>
              <option value="EXAM">Exam</option>
              <option value="QUIZ">Quiz</option>
              <option value="ASSIGNMENT">Assignment</option>
              <option value="MERIT">Merit</option>
            </select>
          </label>
          <label className="field field-small">
            <span>Max score</span>
            <input type="number" min={0} step="any" value={form.maxScore} onChange={set('maxScore')} required />
          </label>
          <label className="field field-small">
            <span>Weight</span>
            <input type="number" min={0} step="any" value={form.weight} onChange={set('weight')} required />
          </label>
          {update.error && <ErrorNote error={update.error} />}
          {remove.error && <ErrorNote error={remove.error} />}
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={update.fetching || !form.title.trim()}>
              Save
            </button>
            <button type="button" className="btn btn-danger" disabled={remove.fetching} onClick={() => void onDelete()}>
              {confirmDelete ? 'Delete it and its grades' : 'Delete assessment'}
            </button>
            <button type="button" className="btn btn-quiet" onClick={toggle}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </span>
  );
}
