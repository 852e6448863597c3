-- Compressing a row's large values with pglz was ≈ 30 % of PostgreSQL's CPU per imported row (a change
-- stores ≈ 20 KB: its texts and the ≈ 10 KB `parsed` JSON). lz4 compresses ≈ 5–10× faster and
-- decompresses faster; only values written from now on use it (older ones stay pglz, both are read
-- the same way). A build without lz4 (PGlite, some source builds) answers feature_not_supported:
-- the columns stay pglz there.
DO $$
BEGIN
  ALTER TABLE openspec_specs
    ALTER COLUMN proposal_content SET COMPRESSION lz4,
    ALTER COLUMN tasks_content SET COMPRESSION lz4,
    ALTER COLUMN design_content SET COMPRESSION lz4,
    ALTER COLUMN meta_content SET COMPRESSION lz4,
    ALTER COLUMN spec_content SET COMPRESSION lz4,
    ALTER COLUMN delta_specs SET COMPRESSION lz4,
    ALTER COLUMN parsed SET COMPRESSION lz4,
    ALTER COLUMN content_hashes SET COMPRESSION lz4,
    ALTER COLUMN base_hashes SET COMPRESSION lz4,
    ALTER COLUMN file_stats SET COMPRESSION lz4,
    ALTER COLUMN tracked_files SET COMPRESSION lz4,
    ALTER COLUMN conflict SET COMPRESSION lz4,
    ALTER COLUMN validation SET COMPRESSION lz4,
    ALTER COLUMN search SET COMPRESSION lz4;
  ALTER TABLE sync_history
    ALTER COLUMN conflict SET COMPRESSION lz4,
    ALTER COLUMN previous_content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
