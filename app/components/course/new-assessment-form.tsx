'use client';
import { useState } from 'react';
import { useMutation } from 'urql';
import type { AssessmentKind } from '../../lib/documents';
import { CreateAssessmentMutation } from '../../lib/documents';
import { InlineForm } from './inline-form';

export function NewAssessmentForm({ courseId }: { courseId: string }) {
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<AssessmentKind>('QUIZ');
  const [maxScore, setMaxScore] = useState('100');
  const [weight, setWeight] = useState('1');
  const [{ fetching, error }, create] = useMutation(CreateAssessmentMutation);

  async function onSubmit() {
    const r = await create({ courseId, title: title.trim(), kind, maxScore: Number(maxScore), weight: Number(weight) });
    if (!r.data) return false;
    setTitle('');
    return true;
  }
  return (
    <InlineForm
      openLabel="Add assessment"
      formLabel="New assessment"
      submitLabel="Create assessment"
      canSubmit={!fetching && Boolean(title.trim()) && Number(maxScore) > 0}
      error={error}
      onSubmit={onSubmit}
    >
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
        <input
          type="number"
          min={0}
          step="any"
          value={maxScore}
          onChange={(e) => setMaxScore(e.target.value)}
          required
        />
      </label>
      <label className="field field-small">
        <span>Weight</span>
        <input type="number" min={0} step="any" value={weight} onChange={(e) => setWeight(e.target.value)} required />
      </label>
    </InlineForm>
  );
}
