-- One trigger function for every `course` outbox row (courseChanged), instead of one per table:
-- the trigger's arguments say what differs. TG_ARGV[0] is `data.kind`; TG_ARGV[1] the column
-- holding the course id; TG_ARGV[2], when given, the column naming the person the change is about
-- (an enrolment's student, a teaching assignment's instructor), who is then its audience and its
-- entity; otherwise the row's own id is the entity. Trigger names stay as they were: an
-- enrolment's `course` row must still come after its `membership` row (same-event triggers fire
-- in name order).
CREATE FUNCTION tg__course_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  person uuid := CASE WHEN TG_NARGS > 2 THEN (r ->> TG_ARGV[2])::uuid END;
BEGIN
  INSERT INTO outbox (topic, action, course_id, audience_user_id, entity_id, data)
  VALUES ('course', outbox_action(TG_OP), (r ->> TG_ARGV[1])::uuid, person,
          COALESCE(person, (r ->> 'id')::uuid), jsonb_build_object('kind', TG_ARGV[0]));
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER assessments_outbox ON assessments;
--> statement-breakpoint
CREATE TRIGGER assessments_outbox AFTER INSERT OR UPDATE OR DELETE ON assessments FOR EACH ROW EXECUTE FUNCTION tg__course_outbox('assessment', 'course_id');
--> statement-breakpoint
DROP TRIGGER class_sessions_outbox ON class_sessions;
--> statement-breakpoint
CREATE TRIGGER class_sessions_outbox AFTER INSERT OR UPDATE OR DELETE ON class_sessions FOR EACH ROW EXECUTE FUNCTION tg__course_outbox('session', 'course_id');
--> statement-breakpoint
DROP TRIGGER courses_outbox ON courses;
--> statement-breakpoint
CREATE TRIGGER courses_outbox AFTER INSERT OR UPDATE OR DELETE ON courses FOR EACH ROW EXECUTE FUNCTION tg__course_outbox('course', 'id');
--> statement-breakpoint
DROP TRIGGER enrolments_outbox_course ON enrolments;
--> statement-breakpoint
CREATE TRIGGER enrolments_outbox_course AFTER INSERT OR UPDATE OR DELETE ON enrolments FOR EACH ROW EXECUTE FUNCTION tg__course_outbox('enrolment', 'course_id', 'student_id');
--> statement-breakpoint
DROP TRIGGER teaching_assignments_outbox_course ON teaching_assignments;
--> statement-breakpoint
CREATE TRIGGER teaching_assignments_outbox_course AFTER INSERT OR UPDATE OR DELETE ON teaching_assignments FOR EACH ROW EXECUTE FUNCTION tg__course_outbox('teaching', 'course_id', 'instructor_id');
--> statement-breakpoint
DROP FUNCTION tg_assessments__outbox();
--> statement-breakpoint
DROP FUNCTION tg_class_sessions__outbox();
--> statement-breakpoint
DROP FUNCTION tg_courses__outbox();
--> statement-breakpoint
DROP FUNCTION tg_enrolments__outbox_course();
--> statement-breakpoint
DROP FUNCTION tg_teaching_assignments__outbox_course();
