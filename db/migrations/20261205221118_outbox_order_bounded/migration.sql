-- outbox_order() (20261205171753_outbox_order) with an upper bound on its scan for new
-- transactions, so it stays an index range scan on outbox (xid, id) whatever the table's
-- statistics: issue 17 found it scanning the whole outbox on every call in the minute after the
-- bench's bulk load, ~5 ms of Postgres per event. Same rows, same positions.
CREATE OR REPLACE FUNCTION outbox_order() RETURNS bigint LANGUAGE plpgsql
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
    -- The upper bound excludes nothing (every transaction this snapshot sees committed is below
    -- its xmax) but gives the planner a range: without statistics on outbox (a fresh database, a
    -- bulk load before autovacuum's analyze) it guesses a third of the table for `xid >= …`
    -- alone and scans all of it on every call.
    SELECT xid FROM outbox WHERE xid >= pg_snapshot_xmax(prev) AND xid < pg_snapshot_xmax(pg_current_snapshot())
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
