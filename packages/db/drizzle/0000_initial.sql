CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"root_path" text NOT NULL,
	"last_full_sync_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_root_path_unique" UNIQUE("root_path")
);
--> statement-breakpoint
CREATE TABLE "openspec_specs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"path" text NOT NULL,
	"archived" boolean DEFAULT false NOT NULL,
	"archived_on" text,
	"title" text DEFAULT '' NOT NULL,
	"why" text,
	"what_changes" text,
	"impact" text,
	"proposal_content" text,
	"tasks_content" text,
	"design_content" text,
	"meta_content" text,
	"spec_content" text,
	"bom_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"delta_specs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"parsed" jsonb,
	"parse_error" text,
	"tasks_total" integer DEFAULT 0 NOT NULL,
	"tasks_completed" integer DEFAULT 0 NOT NULL,
	"completion" real DEFAULT 0 NOT NULL,
	"requirement_count" integer DEFAULT 0 NOT NULL,
	"scenario_count" integer DEFAULT 0 NOT NULL,
	"delta_count" integer DEFAULT 0 NOT NULL,
	"content_hashes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"base_hashes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"file_stats" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stat_fingerprint" text,
	"file_modified_at" timestamp with time zone,
	"db_modified_at" timestamp with time zone,
	"pending_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"conflict" jsonb,
	"status" text DEFAULT 'proposing' NOT NULL,
	"priority" text DEFAULT 'none' NOT NULL,
	"priority_rank" integer DEFAULT 4 NOT NULL,
	"status_changed_at" timestamp with time zone,
	"status_changed_by" text,
	"sync_error" text,
	"last_synced_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"search" "tsvector"
);
--> statement-breakpoint
CREATE TABLE "sync_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sync_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"spec_id" uuid,
	"project_id" uuid,
	"name" text,
	"direction" text NOT NULL,
	"trigger" text NOT NULL,
	"action" text NOT NULL,
	"success" boolean NOT NULL,
	"error" text,
	"files_changed" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"duration_ms" integer DEFAULT 0 NOT NULL,
	"conflict" jsonb,
	"previous_content" jsonb,
	"actor" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_checks" (
	"spec_id" uuid PRIMARY KEY NOT NULL,
	"checked_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "openspec_specs" ADD CONSTRAINT "openspec_specs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_history" ADD CONSTRAINT "sync_history_spec_id_openspec_specs_id_fk" FOREIGN KEY ("spec_id") REFERENCES "public"."openspec_specs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_history" ADD CONSTRAINT "sync_history_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_checks" ADD CONSTRAINT "sync_checks_spec_id_openspec_specs_id_fk" FOREIGN KEY ("spec_id") REFERENCES "public"."openspec_specs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "openspec_specs_project_path_uq" ON "openspec_specs" USING btree ("project_id","path");--> statement-breakpoint
CREATE INDEX "openspec_specs_project_kind_name_idx" ON "openspec_specs" USING btree ("project_id","kind","name");--> statement-breakpoint
CREATE INDEX "openspec_specs_list_priority_idx" ON "openspec_specs" USING btree ("kind","archived","priority_rank","name","id");--> statement-breakpoint
CREATE INDEX "openspec_specs_list_updated_idx" ON "openspec_specs" USING btree ("kind","archived","updated_at","name","id");--> statement-breakpoint
CREATE INDEX "openspec_specs_status_idx" ON "openspec_specs" USING btree ("status","priority_rank","created_at");--> statement-breakpoint
CREATE INDEX "openspec_specs_completion_idx" ON "openspec_specs" USING btree ("completion");--> statement-breakpoint
CREATE INDEX "openspec_specs_search_idx" ON "openspec_specs" USING gin ("search");--> statement-breakpoint
CREATE INDEX "sync_history_spec_idx" ON "sync_history" USING btree ("spec_id","id");--> statement-breakpoint
CREATE INDEX "sync_history_project_idx" ON "sync_history" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "sync_history_created_idx" ON "sync_history" USING btree ("created_at");