-- A grade's upper bound lives on its assessment, which a CHECK constraint cannot see.
CREATE FUNCTION tg_grades__check_score() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_max double precision;
BEGIN
  SELECT max_score INTO v_max FROM assessments WHERE id = NEW.assessment_id;
  IF NEW.score > v_max THEN
    RAISE EXCEPTION 'score % exceeds the maximum of %', NEW.score, v_max
      USING ERRCODE = 'check_violation', CONSTRAINT = 'grades_score_max_check';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER grades_check_score BEFORE INSERT OR UPDATE OF score, assessment_id ON grades
  FOR EACH ROW EXECUTE FUNCTION tg_grades__check_score();
--> statement-breakpoint
-- Shrinking max_score below a recorded grade would silently invalidate it.
CREATE FUNCTION tg_assessments__check_max_score() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM grades WHERE assessment_id = NEW.id AND score > NEW.max_score) THEN
    RAISE EXCEPTION 'a recorded grade exceeds the new maximum of %', NEW.max_score
      USING ERRCODE = 'check_violation', CONSTRAINT = 'grades_score_max_check';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER assessments_check_max_score BEFORE UPDATE OF max_score ON assessments
  FOR EACH ROW EXECUTE FUNCTION tg_assessments__check_max_score();
--> statement-breakpoint
CREATE FUNCTION tg__set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER grades_set_updated_at BEFORE UPDATE ON grades
  FOR EACH ROW EXECUTE FUNCTION tg__set_updated_at();
--> statement-breakpoint
CREATE TRIGGER attendance_records_set_updated_at BEFORE UPDATE ON attendance_records
  FOR EACH ROW EXECUTE FUNCTION tg__set_updated_at();
--> statement-breakpoint
CREATE TRIGGER ballots_set_updated_at BEFORE UPDATE ON ballots
  FOR EACH ROW EXECUTE FUNCTION tg__set_updated_at();
