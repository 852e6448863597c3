-- The delta specs' file hashes as one short string, for the overlaps cache (see the column's comment
-- in the schema): the md5 of the string the work queue used to build per query and per row.
CREATE OR REPLACE FUNCTION openspec_delta_stamp(hashes jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ select md5(string_agg(k || ':' || v, '|' order by k collate "C"))
    from jsonb_each_text(hashes) e(k, v)
    where left(k, 6) = 'specs/' and right(k, 8) = '/spec.md' $$;
--> statement-breakpoint
ALTER TABLE "openspec_specs" ADD COLUMN "delta_stamp" text GENERATED ALWAYS AS (openspec_delta_stamp(content_hashes)) STORED;