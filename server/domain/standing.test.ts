import { describe, expect, it } from 'vitest';
import { computeStanding } from './standing';

const assessments = [
  { id: 'exam', maxScore: 100, weight: 3 },
  { id: 'quiz', maxScore: 10, weight: 1 },
  { id: 'merit', maxScore: 1, weight: 0 },
];

describe('computeStanding', () => {
  it('is null with nothing graded, and counts every assessment in total', () => {
    expect(computeStanding({ assessments, grades: [] })).toEqual({ average: null, graded: 0, total: 3 });
  });

  it('weights graded assessments and ignores ungraded ones', () => {
    const grades = [
      { assessmentId: 'exam', score: 80 },
      { assessmentId: 'quiz', score: 4 },
    ];
    // (0.8 * 3 + 0.4 * 1) / 4 = 0.7
    expect(computeStanding({ assessments, grades })).toEqual({ average: 70, graded: 2, total: 3 });
  });

  it('falls back to the plain mean when all graded weights are zero', () => {
    expect(computeStanding({ assessments, grades: [{ assessmentId: 'merit', score: 1 }] })).toEqual({
      average: 100,
      graded: 1,
      total: 3,
    });
  });

  it('ignores grades of unknown assessments', () => {
    expect(computeStanding({ assessments, grades: [{ assessmentId: 'gone', score: 5 }] }).graded).toBe(0);
  });
});
