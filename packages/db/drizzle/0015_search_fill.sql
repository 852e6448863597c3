-- `to_tsvector` is most of a row's INSERT (≈ 90 % of PostgreSQL's time in a cold import), so a bulk
-- import sets `specsync.defer_search` in its transaction and leaves the vector NULL: a background
-- pass fills it afterwards (services/sync/search-fill.ts) and search computes it for those rows
-- meanwhile. A person's save leaves it NULL too (migration 0014). Every other write computes it.
CREATE OR REPLACE FUNCTION openspec_specs_search_update() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.search IS NULL AND OLD.search IS NOT NULL THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' AND current_setting('specsync.defer_search', true) = 'y' THEN
    NEW.search := NULL;
    RETURN NEW;
  END IF;
  NEW.search := openspec_specs_search_of(NEW);
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
