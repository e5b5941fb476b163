CREATE TABLE "outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"xid" xid8 DEFAULT pg_current_xact_id() NOT NULL,
	"topic" text NOT NULL,
	"action" text NOT NULL,
	"course_id" uuid,
	"audience_user_id" uuid,
	"entity_id" uuid NOT NULL,
	"data" jsonb DEFAULT '{}' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox_state" (
	"id" smallint PRIMARY KEY DEFAULT 1,
	"published_xid" xid8,
	"published_id" bigint,
	"pruned_xid" xid8,
	"pruned_id" bigint
);
--> statement-breakpoint
CREATE INDEX "outbox_xid_id_idx" ON "outbox" ("xid","id");--> statement-breakpoint
CREATE INDEX "outbox_created_at_idx" ON "outbox" ("created_at");