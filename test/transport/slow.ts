import type { Socket } from 'node:net';
import { comparePositions } from '../../shared/cursor';
import type { LiveDatabase } from '../live';

export const NOTE_BYTES = 20_000;

/**
 * A subscription whose frames are heavy: the grade's 20 KB note ten times over (~200 KB a frame),
 * so a client that stops reading fills the kernel's socket buffers after a few dozen events (small
 * frames would need tens of thousands before the server noticed anything).
 */
export const HEAVY_GRADES = /* GraphQL */ `
  subscription ($courseId: ID, $after: String) {
    gradeChanged(courseId: $courseId, after: $after) {
      cursor action
      grade { id ${Array.from({ length: 10 }, (_, i) => `n${i}: note`).join(' ')} }
    }
  }`;

/** Every student of the course graded in every assessment, each grade with a 20 KB note; returns how many grades. */
export async function gradeEveryoneWithNotes(ldb: LiveDatabase, courseId: string): Promise<number> {
  await ldb.sql`
    insert into grades (assessment_id, course_id, student_id, score, note)
    select a.id, a.course_id, e.student_id, 0, repeat('x', ${NOTE_BYTES})
    from assessments a join enrolments e on e.course_id = a.course_id
    where a.course_id = ${courseId}
    on conflict (assessment_id, student_id) do update set note = excluded.note`;
  return (await ldb.sql<{ n: number }[]>`select count(*)::int as n from grades where course_id = ${courseId}`)[0].n;
}

/** Resolves once the instance's hub has dispatched everything in the outbox now (a quiet start). */
export async function hubCaughtUp(
  ldb: LiveDatabase,
  app: { app: { live: { hub: { lastCursor(): { pos: bigint; id: bigint } | null } } } },
) {
  const { waitFor } = await import('../live');
  const end = (await ldb.outbox()).at(-1);
  if (!end) return;
  await waitFor(
    () => {
      const last = app.app.live.hub.lastCursor();
      const [pos, id] = end.cursor.split('.').map(BigInt);
      return last && comparePositions(last, { pos, id }) >= 0;
    },
    { timeoutMs: 15_000, what: 'the hub to dispatch what the outbox holds' },
  );
}

/** The TCP socket under a `ws` client, to pause and resume reading. */
export const tcpOf = (socket: unknown) => (socket as { _socket: Socket })._socket;
