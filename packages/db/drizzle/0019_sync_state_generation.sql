-- A process keeps the sync state of its last bulk read (the columns a no-op reconcile reads) and
-- uses it again while this per-project value reads what it read with it (services/sync/
-- state-cache.ts). Moved by a random step (as list_generation, migration 0009: a restore or a
-- failover must not bring back a value a running server has cached state under), once per
-- writing transaction and project, at commit (deferred, the last lock the transaction takes, after
-- list_generation's: every row event fires that trigger first, by name), by any writer: servers of
-- any version, the CLI, psql. tracked_files is generated from file_stats, so file_stats stands for
-- it; pending_files and sync_error make `dirty`. Writes of other columns (content, search vector,
-- status) leave it alone.
CREATE TABLE "sync_state_generation" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"gen" bigint NOT NULL
);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION specsync_bump_sync_state(project uuid) RETURNS void AS $$
DECLARE
  flag text := 'specsync.sync_state_bumped_' || replace(project::text, '-', '');
BEGIN
  IF current_setting(flag, true) = 'y' THEN
    RETURN;
  END IF;
  PERFORM set_config(flag, 'y', true);
  INSERT INTO sync_state_generation AS g (project_id, gen)
    VALUES (project, floor(random() * 4294967296)::bigint)
    ON CONFLICT (project_id) DO UPDATE
    SET gen = mod(g.gen + 1 + floor(random() * 4294967296)::bigint, 9007199254740992);
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION openspec_specs_bump_sync_state() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM specsync_bump_sync_state(OLD.project_id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM specsync_bump_sync_state(NEW.project_id);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER openspec_specs_sync_state_insert_delete
  AFTER INSERT OR DELETE ON "openspec_specs"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION openspec_specs_bump_sync_state();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER openspec_specs_sync_state_update
  AFTER UPDATE ON "openspec_specs"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN ((OLD.id, OLD.project_id, OLD.path, OLD.kind, OLD.name, OLD.deleted_at,
         OLD.stat_fingerprint, OLD.last_synced_at, OLD.file_stats, OLD.pending_files,
         OLD.sync_error)
        IS DISTINCT FROM
        (NEW.id, NEW.project_id, NEW.path, NEW.kind, NEW.name, NEW.deleted_at,
         NEW.stat_fingerprint, NEW.last_synced_at, NEW.file_stats, NEW.pending_files,
         NEW.sync_error))
  EXECUTE FUNCTION openspec_specs_bump_sync_state();
--> statement-breakpoint
-- TRUNCATE fires no row triggers (tests reset tables with it): every project's value moves.
CREATE OR REPLACE FUNCTION specsync_bump_sync_state_all() RETURNS trigger AS $$
BEGIN
  UPDATE sync_state_generation
    SET gen = mod(gen + 1 + floor(random() * 4294967296)::bigint, 9007199254740992);
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER openspec_specs_sync_state_truncate
  AFTER TRUNCATE ON "openspec_specs"
  FOR EACH STATEMENT EXECUTE FUNCTION specsync_bump_sync_state_all();
