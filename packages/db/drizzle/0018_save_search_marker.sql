-- A person's save asks for its vector later by writing the empty vector: the trigger stores NULL
-- instead (the fill after the save, or a search, computes it; migrations 0014, 0015). 0014's test
-- (NEW NULL, OLD not NULL) could not tell a save from a write that leaves the column alone when the
-- row's vector was still pending (a save less than ~1 s after the last save of the same change, or
-- after a bulk import), so such a save computed the vector inline, most of its statement.
-- An empty vector the row already has (a change with no words) is computed as before. 0014's test
-- stays for servers of an older version sharing the database.
CREATE OR REPLACE FUNCTION openspec_specs_search_update() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.search IS NULL AND OLD.search IS NOT NULL THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.search = ''::tsvector AND OLD.search IS DISTINCT FROM ''::tsvector THEN
    NEW.search := NULL;
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
