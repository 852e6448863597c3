-- Which transaction last wrote a row's sync state (the columns a no-op reconcile reads): a process
-- that read the state at snapshot S reads again only the rows whose writer S did not see
-- (pg_visible_in_snapshot), not all 10,000. Set by a trigger, so writes of any server version, the
-- CLI or psql are seen alike. tracked_files is generated from file_stats (not yet computed in a
-- BEFORE trigger), so file_stats stands for it; pending_files and sync_error make `dirty`. Other
-- columns (content, search vector, status) leave it alone: updates stay HOT, no index covers it.
ALTER TABLE "openspec_specs" ADD COLUMN "state_xid" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION openspec_specs_state_xid() RETURNS trigger AS $$
BEGIN
  NEW.state_xid := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER openspec_specs_state_xid_insert
  BEFORE INSERT ON "openspec_specs"
  FOR EACH ROW EXECUTE FUNCTION openspec_specs_state_xid();
--> statement-breakpoint
CREATE TRIGGER openspec_specs_state_xid_update
  BEFORE UPDATE ON "openspec_specs"
  FOR EACH ROW
  WHEN ((OLD.id, OLD.project_id, OLD.path, OLD.kind, OLD.name, OLD.deleted_at,
         OLD.stat_fingerprint, OLD.last_synced_at, OLD.file_stats, OLD.pending_files,
         OLD.sync_error, OLD.state_xid)
        IS DISTINCT FROM
        (NEW.id, NEW.project_id, NEW.path, NEW.kind, NEW.name, NEW.deleted_at,
         NEW.stat_fingerprint, NEW.last_synced_at, NEW.file_stats, NEW.pending_files,
         NEW.sync_error, NEW.state_xid))
  EXECUTE FUNCTION openspec_specs_state_xid();
