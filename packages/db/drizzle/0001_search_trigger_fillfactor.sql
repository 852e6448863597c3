-- Leave free space on every page so that bookkeeping updates of the wide content rows (file stats,
-- sync times, conflicts) can be HOT: no new index entries, above all no GIN rewrite of the search vector.
ALTER TABLE "openspec_specs" SET (fillfactor = 70);
--> statement-breakpoint
-- The search vector follows the content: recomputed only when a content column is written.
CREATE OR REPLACE FUNCTION openspec_specs_search_update() RETURNS trigger AS $$
BEGIN
  NEW.search :=
    setweight(to_tsvector('english', coalesce(NEW.name, '') || ' ' || coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', left(
      coalesce(NEW.proposal_content, '') || ' ' || coalesce(NEW.spec_content, '') || ' ' ||
      coalesce(NEW.design_content, '') || ' ' || coalesce(NEW.tasks_content, '') || ' ' ||
      coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(NEW.delta_specs)), ''), 200000)), 'B');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER openspec_specs_search_trigger
  BEFORE INSERT OR UPDATE OF name, title, proposal_content, spec_content, design_content, tasks_content, delta_specs
  ON "openspec_specs"
  FOR EACH ROW EXECUTE FUNCTION openspec_specs_search_update();
