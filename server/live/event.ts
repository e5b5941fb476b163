import { type Cursor, formatCursor } from './cursor';

/** An outbox topic, as its trigger writes it ('grade', 'poll', 'membership', …); live/topic.ts says who hears it. */
export type Topic = string;
export type Action = 'CREATED' | 'UPDATED' | 'DELETED';

/** An outbox row as every instance sees it; published through the event target as JSON. */
export type LiveEvent = {
  cursor: string;
  /** The cursor of the event the relay published before this one: a mismatch reveals a gap. */
  prev: string | null;
  topic: Topic;
  action: Action;
  courseId: string | null;
  audienceUserId: string | null;
  entityId: string;
  data: Record<string, unknown>;
  occurredAt: string;
};

/** An outbox row with the commit position of its transaction (outbox_commits). */
export type OutboxRow = {
  pos: string;
  id: string;
  topic: string;
  action: string;
  course_id: string | null;
  audience_user_id: string | null;
  entity_id: string;
  data: Record<string, unknown>;
  // A string when the pool is shared with drizzle, which turns off postgres.js' date parsing.
  created_at: Date | string;
};

export function cursorOfRow(row: Pick<OutboxRow, 'pos' | 'id'>): Cursor {
  return { pos: BigInt(row.pos), id: BigInt(row.id) };
}

export function decodeOutboxRow(row: OutboxRow, prev: string | null = null): LiveEvent {
  return {
    cursor: formatCursor(cursorOfRow(row)),
    prev,
    topic: row.topic,
    action: row.action as Action,
    courseId: row.course_id,
    audienceUserId: row.audience_user_id,
    entityId: row.entity_id,
    data: row.data,
    occurredAt: new Date(row.created_at).toISOString(),
  };
}
