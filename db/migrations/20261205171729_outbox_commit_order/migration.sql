CREATE TABLE "outbox_commits" (
	"pos" bigint PRIMARY KEY,
	"xid" xid8 NOT NULL CONSTRAINT "outbox_commits_xid_key" UNIQUE,
	"ordered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "outbox_created_at_idx";--> statement-breakpoint
ALTER TABLE "outbox_state" ADD COLUMN "ordered_pos" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox_state" ADD COLUMN "ordered_snapshot" pg_snapshot;--> statement-breakpoint
ALTER TABLE "outbox_state" ADD COLUMN "published_pos" bigint;--> statement-breakpoint
ALTER TABLE "outbox_state" ADD COLUMN "pruned_pos" bigint;