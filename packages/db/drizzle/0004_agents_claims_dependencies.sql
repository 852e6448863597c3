CREATE TABLE "change_claims" (
	"spec_id" uuid PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_dependencies" (
	"spec_id" uuid NOT NULL,
	"depends_on_id" uuid NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_dependencies_spec_id_depends_on_id_pk" PRIMARY KEY("spec_id","depends_on_id"),
	CONSTRAINT "change_dependencies_not_self" CHECK ("change_dependencies"."spec_id" <> "change_dependencies"."depends_on_id")
);
--> statement-breakpoint
CREATE TABLE "claim_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "claim_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"spec_id" uuid,
	"project_id" uuid,
	"name" text NOT NULL,
	"owner" text NOT NULL,
	"event" text NOT NULL,
	"lease_seconds" integer,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "change_claims" ADD CONSTRAINT "change_claims_spec_id_openspec_specs_id_fk" FOREIGN KEY ("spec_id") REFERENCES "public"."openspec_specs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_dependencies" ADD CONSTRAINT "change_dependencies_spec_id_openspec_specs_id_fk" FOREIGN KEY ("spec_id") REFERENCES "public"."openspec_specs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_dependencies" ADD CONSTRAINT "change_dependencies_depends_on_id_openspec_specs_id_fk" FOREIGN KEY ("depends_on_id") REFERENCES "public"."openspec_specs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claim_history" ADD CONSTRAINT "claim_history_spec_id_openspec_specs_id_fk" FOREIGN KEY ("spec_id") REFERENCES "public"."openspec_specs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claim_history" ADD CONSTRAINT "claim_history_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_dependencies_depends_on_idx" ON "change_dependencies" USING btree ("depends_on_id");--> statement-breakpoint
CREATE INDEX "claim_history_spec_idx" ON "claim_history" USING btree ("spec_id","id");--> statement-breakpoint
CREATE INDEX "openspec_specs_work_queue_idx" ON "openspec_specs" USING btree ("priority_rank","created_at","name") WHERE kind = 'change' and not archived and deleted_at is null and status in ('approved', 'assigned');--> statement-breakpoint
CREATE INDEX "openspec_specs_active_hashes_idx" ON "openspec_specs" USING gin ("content_hashes") WHERE kind = 'change' and not archived and deleted_at is null;