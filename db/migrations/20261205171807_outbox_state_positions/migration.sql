ALTER TABLE "outbox_state" DROP COLUMN "published_xid";--> statement-breakpoint
ALTER TABLE "outbox_state" DROP COLUMN "pruned_xid";