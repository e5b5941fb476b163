ALTER TYPE "notification_kind" ADD VALUE 'ASSESSMENT_ADDED';--> statement-breakpoint
ALTER TYPE "notification_kind" ADD VALUE 'SESSION_CHANGED';--> statement-breakpoint
ALTER TYPE "notification_kind" ADD VALUE 'ENROLLED';--> statement-breakpoint
ALTER TABLE "class_sessions" ADD COLUMN "cancelled_at" timestamp with time zone;