-- Grade history: every change of a grade, whichever path wrote it. Who: the grade's updated_by_id,
-- or for a deletion the transaction's `homeroom.actor_id` (set by the API, server/audit.ts asActor).
CREATE FUNCTION tg_grades__history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.score IS NOT DISTINCT FROM NEW.score AND OLD.note IS NOT DISTINCT FROM NEW.note THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO grade_history (grade_id, course_id, assessment_id, student_id, action, old_score, old_note, changed_by_id)
    VALUES (OLD.id, OLD.course_id, OLD.assessment_id, OLD.student_id, 'DELETED', OLD.score, OLD.note,
            NULLIF(current_setting('homeroom.actor_id', true), '')::uuid);
  ELSE
    INSERT INTO grade_history (grade_id, course_id, assessment_id, student_id, action, old_score, new_score, old_note, new_note, changed_by_id)
    VALUES (NEW.id, NEW.course_id, NEW.assessment_id, NEW.student_id, outbox_action(TG_OP),
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.score END, NEW.score,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.note END, NEW.note,
            COALESCE(NEW.updated_by_id, NULLIF(current_setting('homeroom.actor_id', true), '')::uuid));
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER grades_history AFTER INSERT OR UPDATE OR DELETE ON grades FOR EACH ROW EXECUTE FUNCTION tg_grades__history();
--> statement-breakpoint
-- Account events (internal topic, never delivered to clients): they close the affected sockets and
-- streams on every instance. pg_notify with the same payload is sent once per transaction.
CREATE FUNCTION tg_sessions__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox (topic, action, audience_user_id, entity_id, data)
  VALUES ('account', 'UPDATED', NEW.user_id, NEW.id,
          jsonb_build_object('sessionId', NEW.id, 'reason', COALESCE(NEW.ended_reason, 'revoked')));
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sessions_outbox AFTER UPDATE OF ended_at ON sessions FOR EACH ROW
  WHEN (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL) EXECUTE FUNCTION tg_sessions__outbox();
--> statement-breakpoint
CREATE FUNCTION tg_users__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox (topic, action, audience_user_id, entity_id, data)
  VALUES ('account', 'UPDATED', NEW.id, NEW.id, jsonb_build_object('reason', 'role-changed'));
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER users_outbox AFTER UPDATE OF role ON users FOR EACH ROW
  WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION tg_users__outbox();
