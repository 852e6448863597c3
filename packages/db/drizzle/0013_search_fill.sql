CREATE INDEX "openspec_specs_search_pending_idx" ON "openspec_specs" USING btree ("id") WHERE search is null;--> statement-breakpoint
-- The search vector of a row, as the trigger of migration 0001 computed it: one function, so the
-- trigger, the fill after a bulk import and search's fallback for rows still waiting agree.
CREATE OR REPLACE FUNCTION openspec_specs_search_vector(s openspec_specs) RETURNS tsvector AS $$
  SELECT
    setweight(to_tsvector('english', coalesce(s.name, '') || ' ' || coalesce(s.title, '')), 'A') ||
    setweight(to_tsvector('english', left(
      coalesce(s.proposal_content, '') || ' ' || coalesce(s.spec_content, '') || ' ' ||
      coalesce(s.design_content, '') || ' ' || coalesce(s.tasks_content, '') || ' ' ||
      coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(s.delta_specs)), ''), 200000)), 'B')
$$ LANGUAGE sql STABLE PARALLEL SAFE;
--> statement-breakpoint
-- `to_tsvector` is most of a row's INSERT (≈ 90 % of PostgreSQL's time in a cold import), so a bulk
-- import sets `specsync.defer_search` in its transaction and leaves the vector NULL: a background
-- pass fills it afterwards (services/sync/search-fill.ts) and search computes it for those rows
-- meanwhile. Updates of content columns always compute it.
CREATE OR REPLACE FUNCTION openspec_specs_search_update() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' AND current_setting('specsync.defer_search', true) = 'y' THEN
    NEW.search := NULL;
  ELSE
    NEW.search := openspec_specs_search_vector(NEW);
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
