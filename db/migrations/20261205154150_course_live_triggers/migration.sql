-- The course's structure and membership are live: one `course` outbox row per changed row of
-- assessments, class_sessions, courses, enrolments and teaching_assignments (courseChanged), with
-- `data.kind` saying which. Enrolments and teaching assignments keep their `membership` row too
-- (internal: it makes live subscriptions re-check permissions); their `course` row is written by
-- a trigger named after it, so it fires after it (same-event triggers fire in name order).
CREATE FUNCTION tg_assessments__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r assessments;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('course', outbox_action(TG_OP), r.course_id, r.id, jsonb_build_object('kind', 'assessment'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER assessments_outbox AFTER INSERT OR UPDATE OR DELETE ON assessments FOR EACH ROW EXECUTE FUNCTION tg_assessments__outbox();
--> statement-breakpoint
CREATE TRIGGER assessments_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON assessments FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_class_sessions__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r class_sessions;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('course', outbox_action(TG_OP), r.course_id, r.id, jsonb_build_object('kind', 'session'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER class_sessions_outbox AFTER INSERT OR UPDATE OR DELETE ON class_sessions FOR EACH ROW EXECUTE FUNCTION tg_class_sessions__outbox();
--> statement-breakpoint
CREATE TRIGGER class_sessions_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON class_sessions FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_courses__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r courses;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('course', outbox_action(TG_OP), r.id, r.id, jsonb_build_object('kind', 'course'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER courses_outbox AFTER INSERT OR UPDATE OR DELETE ON courses FOR EACH ROW EXECUTE FUNCTION tg_courses__outbox();
--> statement-breakpoint
CREATE TRIGGER courses_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON courses FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
--> statement-breakpoint
CREATE FUNCTION tg_enrolments__outbox_course() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r enrolments;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('course', outbox_action(TG_OP), r.course_id, r.student_id, r.student_id, jsonb_build_object('kind', 'enrolment'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER enrolments_outbox_course AFTER INSERT OR UPDATE OR DELETE ON enrolments FOR EACH ROW EXECUTE FUNCTION tg_enrolments__outbox_course();
--> statement-breakpoint
CREATE FUNCTION tg_teaching_assignments__outbox_course() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r teaching_assignments;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('course', outbox_action(TG_OP), r.course_id, r.instructor_id, r.instructor_id, jsonb_build_object('kind', 'teaching'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER teaching_assignments_outbox_course AFTER INSERT OR UPDATE OR DELETE ON teaching_assignments FOR EACH ROW EXECUTE FUNCTION tg_teaching_assignments__outbox_course();
--> statement-breakpoint
-- Notifications, made by the database so every write path notifies (like the grade, poll and announcement ones).
CREATE FUNCTION tg_assessments__notify_students() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c courses;
BEGIN
  -- db/seed.ts builds a whole school at once: nobody is told about each row of it.
  IF current_setting('homeroom.seeding', true) = 'on' THEN RETURN NULL; END IF;
  SELECT * INTO c FROM courses WHERE id = NEW.course_id;
  INSERT INTO notifications (user_id, course_id, kind, message, link)
  SELECT e.student_id, NEW.course_id, 'ASSESSMENT_ADDED', format('%s · New assessment: %s', c.code, NEW.title),
         format('/courses/%s?tab=grades', NEW.course_id)
  FROM enrolments e WHERE e.course_id = NEW.course_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER assessments_notify_students AFTER INSERT ON assessments FOR EACH ROW EXECUTE FUNCTION tg_assessments__notify_students();
--> statement-breakpoint
CREATE FUNCTION tg_class_sessions__notify_students() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c courses;
  message text;
BEGIN
  IF NEW.cancelled_at IS NOT NULL AND OLD.cancelled_at IS NULL THEN
    message := 'Cancelled: %s (%s)';
  ELSIF NEW.starts_at IS DISTINCT FROM OLD.starts_at AND NEW.cancelled_at IS NULL THEN
    message := 'Rescheduled: %s, now %s';
  ELSE
    RETURN NULL;
  END IF;
  SELECT * INTO c FROM courses WHERE id = NEW.course_id;
  INSERT INTO notifications (user_id, course_id, kind, message, link)
  SELECT e.student_id, NEW.course_id, 'SESSION_CHANGED',
         c.code || ' · ' || format(message, NEW.title, to_char(NEW.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
         format('/courses/%s?tab=attendance', NEW.course_id)
  FROM enrolments e WHERE e.course_id = NEW.course_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER class_sessions_notify_students AFTER UPDATE OF starts_at, cancelled_at ON class_sessions FOR EACH ROW EXECUTE FUNCTION tg_class_sessions__notify_students();
--> statement-breakpoint
CREATE FUNCTION tg_enrolments__notify_student() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c courses;
BEGIN
  IF current_setting('homeroom.seeding', true) = 'on' THEN RETURN NULL; END IF;
  SELECT * INTO c FROM courses WHERE id = NEW.course_id;
  INSERT INTO notifications (user_id, course_id, kind, message, link)
  VALUES (NEW.student_id, NEW.course_id, 'ENROLLED', format('%s · You were enrolled in %s', c.code, c.title),
          format('/courses/%s', NEW.course_id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER enrolments_notify_student AFTER INSERT ON enrolments FOR EACH ROW EXECUTE FUNCTION tg_enrolments__notify_student();
