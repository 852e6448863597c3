ALTER TABLE "openspec_specs" ADD COLUMN "stage" text GENERATED ALWAYS AS (case when archived then 'archived' when tasks_total = 0 then 'draft' when tasks_completed >= tasks_total then 'complete' else 'in_progress' end) STORED;--> statement-breakpoint
ALTER TABLE "openspec_specs" ADD COLUMN "validation" jsonb;--> statement-breakpoint
ALTER TABLE "sync_history" ADD COLUMN "note" text;--> statement-breakpoint
-- Changes imported before stages existed all started as "proposing": let the status follow the stage
-- where nobody has picked one by hand yet (same mapping as a fresh import).
UPDATE "openspec_specs" SET "status" = CASE "stage" WHEN 'in_progress' THEN 'in_progress' WHEN 'complete' THEN 'applied' WHEN 'archived' THEN 'archived' ELSE 'proposing' END
WHERE "kind" = 'change' AND "status" = 'proposing' AND "status_changed_by" IS NULL;
