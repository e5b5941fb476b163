import { connectLive, GRADE_CHANGED, gqlOk, LIVE_CURSOR, type LiveDatabase } from '../live';

export type GradeWatch = Awaited<ReturnType<typeof watchGrades>>;

/**
 * A healthy bystander: the instructor subscribed to MATH101's grades on its own socket. `alive()`
 * commits a grade and resolves once this socket delivered it, and throws if the socket was closed:
 * "every other socket keeps working" in one call.
 */
export async function watchGrades(
  api: { url: string; wsUrl: string },
  ldb: LiveDatabase,
  email = 'instructor@homeroom.test',
) {
  const math = ldb.f.course('MATH101');
  const token = await ldb.token(email);
  const after = (await gqlOk(api.url, LIVE_CURSOR, {}, token)).liveCursor as string;
  const conn = connectLive(api.wsUrl, token);
  const stream = conn.subscribe<{ cursor: string; grade: { score: number; student: { id: string } } | null }>(
    GRADE_CHANGED,
    { courseId: math.id, after },
  );
  let round = 0;
  async function alive(timeoutMs = 15_000) {
    round += 1;
    const student = math.studentIds[round % math.studentIds.length];
    // A score nobody else writes: the event found below is this commit's.
    const score = Math.round(Math.random() * 90_000) / 1000 + 0.0001 * (round % 10);
    const from = stream.items.length;
    await ldb.setGrade(math.assessments.Midterm.id, math.id, student, score);
    await stream.until(
      () =>
        conn.closes.items.length > 0 ||
        stream.done ||
        stream.items.slice(from).some((e) => e.grade?.student.id === student && e.grade.score === score),
      timeoutMs,
      'the healthy client to receive its event',
    );
    if (conn.closes.items.length > 0 || stream.done) {
      throw new Error(
        `the healthy client lost its subscription: ${JSON.stringify({ closes: conn.closes.items, errors: stream.errors })}`,
      );
    }
  }
  await alive();
  return { conn, stream, alive, dispose: () => conn.dispose() };
}
