-- Every course has a channel: one for each existing course, and one with each new course.
INSERT INTO conversations (course_id, kind) SELECT id, 'CHANNEL' FROM courses ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE FUNCTION tg_courses__channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conversations (course_id, kind) VALUES (NEW.id, 'CHANNEL');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER courses_channel AFTER INSERT ON courses FOR EACH ROW EXECUTE FUNCTION tg_courses__channel();
--> statement-breakpoint
-- A direct conversation's events name its participants (only they and admins may see them); a
-- channel's name none (every member). A message whose conversation is already gone (a cascade)
-- names nobody, so only admins could see its deletion.
CREATE FUNCTION tg_messages__outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r messages;
  k conversation_kind;
  who jsonb := NULL;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  SELECT kind INTO k FROM conversations WHERE id = r.conversation_id;
  IF k IS DISTINCT FROM 'CHANNEL' THEN
    who := coalesce((SELECT jsonb_agg(user_id ORDER BY user_id) FROM conversation_participants WHERE conversation_id = r.conversation_id), '[]'::jsonb);
  END IF;
  INSERT INTO outbox (topic, action, course_id, entity_id, data)
  VALUES ('message', outbox_action(TG_OP), r.course_id, r.id,
          jsonb_build_object('conversationId', r.conversation_id, 'participants', who, 'authorId', r.author_id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER messages_outbox AFTER INSERT OR UPDATE OR DELETE ON messages FOR EACH ROW EXECUTE FUNCTION tg_messages__outbox();
--> statement-breakpoint
CREATE TRIGGER messages_outbox_notify AFTER INSERT OR UPDATE OR DELETE ON messages FOR EACH STATEMENT EXECUTE FUNCTION tg__outbox_notify();
