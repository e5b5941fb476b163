import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { auditLog } from '../db/schema';

/** Privileged changes the admin audit log records (the GraphQL enum AuditAction). */
export const AUDIT_ACTIONS = [
  'USER_CREATED',
  'USER_UPDATED',
  'ROLE_CHANGED',
  'USER_DEACTIVATED',
  'USER_REACTIVATED',
  'PASSWORD_RESET',
  'PASSWORD_CHANGED',
  'SESSION_REVOKED',
  'SIGNED_OUT_EVERYWHERE',
  'STUDENT_ENROLLED',
  'STUDENT_UNENROLLED',
  'INSTRUCTOR_ASSIGNED',
  'INSTRUCTOR_REMOVED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditEntry = {
  /** Who did it (null: the system). */
  actorId: string | null;
  action: AuditAction;
  targetUserId?: string | null;
  courseId?: string | null;
  /** What changed; never secrets (no passwords, no tokens). */
  details?: Record<string, unknown>;
};

/**
 * Records a privileged change. Call it with the transaction that makes the change, so the entry
 * exists exactly when the change does.
 */
export async function audit(db: Pick<Database, 'insert'>, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actorId: entry.actorId,
    action: entry.action,
    targetUserId: entry.targetUserId ?? null,
    courseId: entry.courseId ?? null,
    details: entry.details ?? {},
  });
}

/**
 * Names the acting user for the rest of the transaction, for triggers that cannot read it from
 * the row (tg_grades__history on a deletion).
 */
export async function asActor(db: Pick<Database, 'execute'>, userId: string): Promise<void> {
  await db.execute(sql`select set_config('homeroom.actor_id', ${userId}, true)`);
}
