CREATE INDEX "openspec_specs_search_pending_idx" ON "openspec_specs" USING btree ("project_id") WHERE search is null;--> statement-breakpoint
-- The search vector of a row, shared by the trigger and the background fill after a bulk import.
CREATE OR REPLACE FUNCTION openspec_specs_search_vector(r openspec_specs) RETURNS tsvector AS $$
  SELECT
    setweight(to_tsvector('english', coalesce(r.name, '') || ' ' || coalesce(r.title, '')), 'A') ||
    setweight(to_tsvector('english', left(
      coalesce(r.proposal_content, '') || ' ' || coalesce(r.spec_content, '') || ' ' ||
      coalesce(r.design_content, '') || ' ' || coalesce(r.tasks_content, '') || ' ' ||
      coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(r.delta_specs)), ''), 200000)), 'B')
$$ LANGUAGE sql STABLE;
--> statement-breakpoint
-- A bulk import sets specsync.defer_search for its transaction: the vector (to_tsvector is most of
-- PostgreSQL's per-row cost) is left NULL and filled in the background; NULL means "not yet indexed".
CREATE OR REPLACE FUNCTION openspec_specs_search_update() RETURNS trigger AS $$
BEGIN
  IF current_setting('specsync.defer_search', true) = 'on' THEN
    NEW.search := NULL;
  ELSE
    NEW.search := openspec_specs_search_vector(NEW);
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
