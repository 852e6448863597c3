-- Data only, no schema change. file_modified_at of active changes now follows `openspec list` (the newest
-- file of the folder, tracked or not, rounded like Node's stat.mtime) and parsed may carry `nested`:
-- forget the stat fingerprints of active changes so the next reconcile (every server start does one)
-- re-reads those folders once and records both. Archived changes and specs are unaffected.
UPDATE "openspec_specs" SET "stat_fingerprint" = NULL WHERE "kind" = 'change' AND NOT "archived" AND "deleted_at" IS NULL;
