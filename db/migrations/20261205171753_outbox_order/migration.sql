-- Commit order for the outbox (docs/realtime.md §2). outbox_order() gives every transaction whose
-- outbox rows became visible since its previous call the next positions, in one short
-- transaction, and returns the last position given so far: every transaction that committed
-- before the call is at or below it. It remembers the snapshot it saw: the transactions new since then are those at or
-- past that snapshot's xmax, plus those it listed as in flight (PgQ's batch_event_sql does the
-- same with two ticks). Both are index lookups on outbox (xid, id), however old the oldest open
-- transaction on the server is.
CREATE FUNCTION outbox_order() RETURNS bigint LANGUAGE plpgsql
-- The xmax and the in-flight list change every call: a generic plan would guess a third of the
-- table for `xid >= $1` and might scan it.
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  prev pg_snapshot;
  last_pos bigint;
  ordered integer;
  top bigint;
  seen pg_snapshot;
BEGIN
  -- Each statement below takes a fresh snapshot only under READ COMMITTED.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'outbox_order() needs READ COMMITTED, not %', current_setting('transaction_isolation');
  END IF;
  -- One caller at a time ("hmorders"): positions are given and committed in order, so every
  -- reader sees a prefix of them. The next statement's snapshot is taken after the lock, so it
  -- sees everything the previous caller committed.
  PERFORM pg_advisory_xact_lock(7524793089507291763);
  SELECT ordered_snapshot, ordered_pos INTO prev, last_pos FROM outbox_state WHERE id = 1;
  -- One statement: the rows it reads are exactly those committed in the snapshot it records.
  WITH fresh AS (
    SELECT xid FROM outbox WHERE xid >= pg_snapshot_xmax(prev)
    UNION
    SELECT xid FROM outbox WHERE xid = ANY (ARRAY(SELECT pg_snapshot_xip(prev)))
  ), positioned AS (
    INSERT INTO outbox_commits (pos, xid)
    SELECT last_pos + row_number() OVER (ORDER BY xid), xid FROM fresh
    RETURNING pos
  )
  SELECT count(*)::integer, max(pos), pg_current_snapshot() INTO ordered, top, seen FROM positioned;
  -- Nothing new: keep the older snapshot (always safe; no write, no transaction id).
  IF ordered > 0 THEN
    UPDATE outbox_state SET ordered_pos = top, ordered_snapshot = seen WHERE id = 1;
  END IF;
  RETURN coalesce(top, last_pos);
END $$;
--> statement-breakpoint
-- Rows already committed keep their cursors: their position is their transaction id, so the
-- "<xid>.<id>" cursors handed out before this migration are valid positions, in the same order.
-- New positions start past every transaction id that existed, so they sort after all of them.
WITH now_seen AS (
  SELECT pg_current_snapshot() AS snap
), positioned AS (
  INSERT INTO outbox_commits (pos, xid, ordered_at)
  SELECT xid::text::bigint, xid, min(created_at) FROM outbox GROUP BY xid
  RETURNING pos
)
UPDATE outbox_state SET
  ordered_pos = pg_snapshot_xmax(now_seen.snap)::text::bigint,
  ordered_snapshot = now_seen.snap,
  published_pos = published_xid::text::bigint,
  pruned_pos = pruned_xid::text::bigint
FROM now_seen
WHERE id = 1 AND (SELECT count(*) FROM positioned) >= 0;
