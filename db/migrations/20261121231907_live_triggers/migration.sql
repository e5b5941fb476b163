INSERT INTO outbox_state (id) VALUES (1);
--> statement-breakpoint
-- NOTIFY is only a wake-up for the relay; the outbox row is the truth. One per statement, not per row.
CREATE FUNCTION tg__outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION outbox_action(op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE op WHEN 'INSERT' THEN 'CREATED' WHEN 'UPDATE' THEN 'UPDATED' ELSE 'DELETED' END
$$;
--> statement-breakpoint
CREATE FUNCTION tg_grades__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r grades;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  -- A deleted grade cannot be re-read, so its event keeps what a subscriber needs to remove it.
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('grade', outbox_action(TG_OP), r.course_id, r.student_id, r.id,
          jsonb_build_object('assessmentId', r.assessment_id, 'studentId', r.student_id)
            || CASE WHEN TG_OP = 'DELETE' THEN jsonb_build_object('score', r.score, 'updatedAt', r.updated_at) ELSE '{}'::jsonb END);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER grades_outbox AFTER INSERT OR UPDATE OR DELETE ON grades FOR EACH ROW EXECUTE FUNCTION tg_grades__outbox();
--> statement-breakpoint
CREATE TRIGGER grades_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON grades FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_attendance_records__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r attendance_records;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('attendance', outbox_action(TG_OP), r.course_id, r.student_id, r.id,
          jsonb_build_object('sessionId', r.session_id, 'studentId', r.student_id)
            || CASE WHEN TG_OP = 'DELETE' THEN jsonb_build_object('status', r.status, 'updatedAt', r.updated_at) ELSE '{}'::jsonb END);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER attendance_records_outbox AFTER INSERT OR UPDATE OR DELETE ON attendance_records FOR EACH ROW EXECUTE FUNCTION tg_attendance_records__outbox();
--> statement-breakpoint
CREATE TRIGGER attendance_records_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON attendance_records FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_polls__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r polls;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('poll', outbox_action(TG_OP), r.course_id, r.id, jsonb_build_object('pollId', r.id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER polls_outbox AFTER INSERT OR UPDATE OR DELETE ON polls FOR EACH ROW EXECUTE FUNCTION tg_polls__outbox();
--> statement-breakpoint
CREATE TRIGGER polls_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON polls FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
-- A ballot changes its poll's tallies: to subscribers it is an update of the poll.
CREATE FUNCTION tg_ballots__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r ballots;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('poll', 'UPDATED', r.course_id, r.poll_id, jsonb_build_object('pollId', r.poll_id, 'ballot', true));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER ballots_outbox AFTER INSERT OR UPDATE OR DELETE ON ballots FOR EACH ROW EXECUTE FUNCTION tg_ballots__outbox();
--> statement-breakpoint
CREATE TRIGGER ballots_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON ballots FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_posts__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r posts;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('content', outbox_action(TG_OP), r.course_id, r.id, jsonb_build_object('kind', 'post', 'postId', r.id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER posts_outbox AFTER INSERT OR UPDATE OR DELETE ON posts FOR EACH ROW EXECUTE FUNCTION tg_posts__outbox();
--> statement-breakpoint
CREATE TRIGGER posts_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON posts FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_comments__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r comments;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('content', outbox_action(TG_OP), r.course_id, r.id, jsonb_build_object('kind', 'comment', 'postId', r.post_id, 'commentId', r.id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER comments_outbox AFTER INSERT OR UPDATE OR DELETE ON comments FOR EACH ROW EXECUTE FUNCTION tg_comments__outbox();
--> statement-breakpoint
CREATE TRIGGER comments_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON comments FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_notifications__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r notifications;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('notification', outbox_action(TG_OP), r.course_id, r.user_id, r.id, jsonb_build_object('read', r.read_at IS NOT NULL));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER notifications_outbox AFTER INSERT OR UPDATE OR DELETE ON notifications FOR EACH ROW EXECUTE FUNCTION tg_notifications__outbox();
--> statement-breakpoint
CREATE TRIGGER notifications_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON notifications FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
-- Membership changes let live subscriptions re-check who may see a course's events.
CREATE FUNCTION tg_enrolments__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r enrolments;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('membership', outbox_action(TG_OP), r.course_id, r.student_id, r.student_id, jsonb_build_object('role', 'STUDENT'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER enrolments_outbox AFTER INSERT OR UPDATE OR DELETE ON enrolments FOR EACH ROW EXECUTE FUNCTION tg_enrolments__outbox();
--> statement-breakpoint
CREATE TRIGGER enrolments_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON enrolments FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_teaching_assignments__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r teaching_assignments;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('membership', outbox_action(TG_OP), r.course_id, r.instructor_id, r.instructor_id, jsonb_build_object('role', 'INSTRUCTOR'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER teaching_assignments_outbox AFTER INSERT OR UPDATE OR DELETE ON teaching_assignments FOR EACH ROW EXECUTE FUNCTION tg_teaching_assignments__outbox();
--> statement-breakpoint
CREATE TRIGGER teaching_assignments_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON teaching_assignments FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
-- Notifications are made by the database, so every path that records a grade, opens a poll or
-- posts an announcement notifies the right people in the same transaction.
CREATE FUNCTION tg_grades__notify_student() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a assessments;
  c courses;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.score IS NOT DISTINCT FROM OLD.score THEN RETURN NULL; END IF;
  SELECT * INTO a FROM assessments WHERE id = NEW.assessment_id;
  SELECT * INTO c FROM courses WHERE id = NEW.course_id;
  INSERT INTO notifications (user_id, course_id, kind, message, link)
  VALUES (NEW.student_id, NEW.course_id, 'GRADE_RECORDED',
          format('%s · %s: %s/%s', c.code, a.title, trim_scale(NEW.score::numeric), trim_scale(a.max_score::numeric)),
          format('/courses/%s?tab=grades', NEW.course_id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER grades_notify_student AFTER INSERT OR UPDATE OF score ON grades FOR EACH ROW EXECUTE FUNCTION tg_grades__notify_student();
--> statement-breakpoint
CREATE FUNCTION tg_polls__notify_members() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c courses;
BEGIN
  SELECT * INTO c FROM courses WHERE id = NEW.course_id;
  INSERT INTO notifications (user_id, course_id, kind, message, link)
  SELECT e.student_id, NEW.course_id, 'POLL_OPENED', format('%s · New poll: %s', c.code, NEW.question), format('/courses/%s?tab=polls', NEW.course_id)
  FROM enrolments e WHERE e.course_id = NEW.course_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER polls_notify_members AFTER INSERT ON polls FOR EACH ROW EXECUTE FUNCTION tg_polls__notify_members();
--> statement-breakpoint
CREATE FUNCTION tg_posts__notify_announcement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c courses;
BEGIN
  IF NOT NEW.announcement THEN RETURN NULL; END IF;
  SELECT * INTO c FROM courses WHERE id = NEW.course_id;
  INSERT INTO notifications (user_id, course_id, kind, message, link)
  SELECT m.user_id, NEW.course_id, 'ANNOUNCEMENT', format('%s · Announcement: %s', c.code, left(NEW.body, 140)), format('/courses/%s?tab=feed', NEW.course_id)
  FROM (
    SELECT student_id AS user_id FROM enrolments WHERE course_id = NEW.course_id
    UNION SELECT instructor_id FROM teaching_assignments WHERE course_id = NEW.course_id
  ) m
  WHERE m.user_id <> NEW.author_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER posts_notify_announcement AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION tg_posts__notify_announcement();
