'use client';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { CreateAssessmentMutation } from '../../lib/documents';
import type { AssessmentKind } from '../../lib/types';
import { ErrorNote } from '../status';

export function NewAssessmentForm({ courseId }: { courseId: string }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<AssessmentKind>('QUIZ');
  const [maxScore, setMaxScore] = useState('100');
  const [weight, setWeight] = useState('1');
  const [{ fetching, error }, create] = useMutation(CreateAssessmentMutation);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const r = await create({ courseId, title: title.trim(), kind, maxScore: Number(maxScore), weight: Number(weight) });
    if (r.data) {
      setTitle('');
      setOpen(false);
    }
  }
  if (!open) {
    return (
      <button type="button" className="btn" onClick={() => setOpen(true)} aria-expanded="false">
        Add assessment
      </button>
    );
  }
  return (
    <form className="card form inline-form" onSubmit={onSubmit} aria-label="New assessment">
      <label className="field">
        <span>Title</span>
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoFocus />
      </label>
      <label className="field">
        <span>Kind</span>
        <select value={kind} onChange={(e) => setKind(e.target.value as AssessmentKind)}>
          <option value="EXAM">Exam</option>
          <option value="QUIZ">Quiz</option>
          <option value="ASSIGNMENT">Assignment</option>
          <option value="MERIT">Merit</option>
        </select>
      </label>
      <label className="field field-small">
        <span>Max score</span>
        <input type="number" min={0} step="any" value={maxScore} onChange={(e) => setMaxScore(e.target.value)} required />
      </label>
      <label className="field field-small">
        <span>Weight</span>
        <input type="number" min={0} step="any" value={weight} onChange={(e) => setWeight(e.target.value)} required />
      </label>
      {error && <ErrorNote error={error} />}
      <div className="actions">
        <button className="btn btn-primary" disabled={fetching || !title.trim() || !(Number(maxScore) > 0)}>
          Create assessment
        </button>
        <button type="button" className="btn btn-quiet" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
