export type StandingInput = {
  assessments: { id: string; maxScore: number; weight: number }[];
  grades: { assessmentId: string; score: number }[];
};
export type Standing = { average: number | null; graded: number; total: number };

/**
 * Weighted percentage over the graded assessments only, so an ungraded exam does not count as 0.
 * If every graded assessment has weight 0 (e.g. merits), falls back to the plain mean.
 */
export function computeStanding({ assessments, grades }: StandingInput): Standing {
  const byId = new Map(assessments.map((a) => [a.id, a]));
  let weighted = 0;
  let weights = 0;
  let plain = 0;
  let graded = 0;
  for (const grade of grades) {
    const assessment = byId.get(grade.assessmentId);
    if (!assessment) continue;
    const fraction = grade.score / assessment.maxScore;
    weighted += fraction * assessment.weight;
    weights += assessment.weight;
    plain += fraction;
    graded += 1;
  }
  const average = graded === 0 ? null : weights > 0 ? (weighted / weights) * 100 : (plain / graded) * 100;
  return { average: average === null ? null : Math.round(average * 100) / 100, graded, total: assessments.length };
}
