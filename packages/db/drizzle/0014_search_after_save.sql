CREATE INDEX "openspec_specs_search_pending_idx" ON "openspec_specs" USING btree ("id") WHERE search is null;--> statement-breakpoint
-- The search vector of a row, as the trigger of 0001 computed it (one definition for the trigger,
-- the fill after a save and the fill before a search).
CREATE OR REPLACE FUNCTION openspec_specs_search_of(r openspec_specs) RETURNS tsvector
  LANGUAGE sql STABLE
  AS $$ select
    setweight(to_tsvector('english', coalesce(r.name, '') || ' ' || coalesce(r.title, '')), 'A') ||
    setweight(to_tsvector('english', left(
      coalesce(r.proposal_content, '') || ' ' || coalesce(r.spec_content, '') || ' ' ||
      coalesce(r.design_content, '') || ' ' || coalesce(r.tasks_content, '') || ' ' ||
      coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(r.delta_specs)), ''), 200000)), 'B') $$;
--> statement-breakpoint
-- A person's save sets `search` to NULL in its compare-and-set: computing and indexing the vector
-- there was most of that statement, and the save waits for it. The save fills it right after its
-- answer (sync/edits.ts), and any search fills pending rows first (specs-service.ts), so a search
-- after an acknowledged save still finds its text. Every other write computes it here, as before.
CREATE OR REPLACE FUNCTION openspec_specs_search_update() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.search IS NULL AND OLD.search IS NOT NULL THEN
    RETURN NEW;
  END IF;
  NEW.search := openspec_specs_search_of(NEW);
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
