import postgres from 'postgres';
import { createTokenService } from '../../server/auth/tokens';
import { compareCursors } from '../../shared/cursor';
import { type Fixtures, loadFixtures } from '../api/fixtures';
import { TEST_JWT_SECRET } from '../app';
import { createTestDatabase, type TestDatabase } from '../database';
import { mintToken } from '../sessions';

export type OutboxEntry = {
  cursor: string;
  xid: string;
  id: string;
  topic: string;
  action: string;
  course_id: string | null;
  audience_user_id: string | null;
  entity_id: string;
  data: Record<string, unknown>;
};

export type LiveDatabase = {
  url: string;
  db: TestDatabase;
  /** A direct connection of the test's own (writes, outbox checks). */
  sql: postgres.Sql;
  f: Fixtures;
  /** A seeded user's id and role (for the visibility oracle). */
  persona(email: string): { id: string; role: 'STUDENT' | 'INSTRUCTOR' | 'ADMIN' };
  /** A signed token for a seeded user (default: the app's normal lifetime). */
  token(email: string, ttlSeconds?: number): Promise<string>;
  /**
   * Every committed outbox row after `after` ("pos.id"), in cursor order. Orders what committed
   * and has no position yet first (`outbox_order()`, as the relay does; safe beside it), so rows
   * committed before this call are all there. (Ordered by the columns, not by the text aliases.)
   */
  outbox(after?: string): Promise<OutboxEntry[]>;
  /** Sets a grade (insert or update) with SQL: one committed transaction, one `grade` event. */
  setGrade(assessmentId: string, courseId: string, studentId: string, score: number): Promise<void>;
  close(): Promise<void>;
};

/** A fresh clone of the migrated template with the demo seed, and a connection to it. */
export async function openLiveDatabase(): Promise<LiveDatabase> {
  const db = await createTestDatabase({ seeded: true });
  const sql = postgres(db.url, { max: 6, onnotice: () => {} });
  const f = await loadFixtures(sql);
  const roles = new Map(
    (
      await sql<
        { id: string; email: string; role: 'STUDENT' | 'INSTRUCTOR' | 'ADMIN' }[]
      >`select id, email, role from users`
    ).map((u) => [u.email, u]),
  );
  return {
    url: db.url,
    db,
    sql,
    f,
    persona(email) {
      const user = roles.get(email);
      if (!user) throw new Error(`no seeded user ${email}`);
      return { id: user.id, role: user.role };
    },
    async token(email, ttlSeconds = 900) {
      const user = roles.get(email);
      if (!user) throw new Error(`no seeded user ${email}`);
      const tokens = createTokenService({
        secret: TEST_JWT_SECRET,
        ttlSeconds,
        renewGraceSeconds: 0,
        maxSessionSeconds: 7 * 24 * 3600,
      });
      return (await mintToken(sql, tokens, user)).token;
    },
    async outbox(after = '0.0') {
      const [pos, id] = after.split('.');
      await sql`select outbox_order()`;
      return sql<OutboxEntry[]>`
        select c.pos::text || '.' || o.id::text as cursor, o.xid::text as xid, o.id::text as id, topic, action, course_id, audience_user_id, entity_id, data
        from outbox_commits c join outbox o on o.xid = c.xid
        where (c.pos, o.id) > (${pos}::bigint, ${id}::bigint) order by c.pos, o.id`;
    },
    async setGrade(assessmentId, courseId, studentId, score) {
      await sql`
        insert into grades (assessment_id, course_id, student_id, score) values (${assessmentId}, ${courseId}, ${studentId}, ${score})
        on conflict (assessment_id, student_id) do update set score = excluded.score`;
    },
    async close() {
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}

/** True when the cursors strictly increase (no duplicate, no step back). */
export function strictlyIncreasing(cursors: string[]): boolean {
  return cursors.every((c, i) => i === 0 || compareCursors(cursors[i - 1], c) < 0);
}
