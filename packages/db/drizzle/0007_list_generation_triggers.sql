-- The list cache's generation (see list_generation in the schema): raised once per writing
-- transaction, at its commit (deferred constraint triggers). Taken that late, the one row's lock is
-- held only while the transaction commits and is the last lock it takes, so it cannot deadlock with
-- the row or advisory locks the transaction already holds.
INSERT INTO "list_generation" ("id", "gen") VALUES (1, 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION specsync_bump_list_generation() RETURNS trigger AS $$
BEGIN
  -- Once per transaction: a bulk import fires this for every row.
  IF current_setting('specsync.list_generation_bumped', true) = 'y' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('specsync.list_generation_bumped', 'y', true);
  UPDATE list_generation SET gen = gen + 1 WHERE id = 1;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER openspec_specs_list_generation
  AFTER INSERT OR UPDATE OR DELETE ON "openspec_specs"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION specsync_bump_list_generation();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER sync_checks_list_generation
  AFTER INSERT OR UPDATE OR DELETE ON "sync_checks"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION specsync_bump_list_generation();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER change_claims_list_generation
  AFTER INSERT OR UPDATE OR DELETE ON "change_claims"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION specsync_bump_list_generation();
--> statement-breakpoint
-- TRUNCATE fires no row triggers (tests reset tables with it).
CREATE OR REPLACE FUNCTION specsync_bump_list_generation_now() RETURNS trigger AS $$
BEGIN
  UPDATE list_generation SET gen = gen + 1 WHERE id = 1;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER openspec_specs_list_generation_truncate
  AFTER TRUNCATE ON "openspec_specs"
  FOR EACH STATEMENT EXECUTE FUNCTION specsync_bump_list_generation_now();
--> statement-breakpoint
CREATE TRIGGER sync_checks_list_generation_truncate
  AFTER TRUNCATE ON "sync_checks"
  FOR EACH STATEMENT EXECUTE FUNCTION specsync_bump_list_generation_now();
--> statement-breakpoint
CREATE TRIGGER change_claims_list_generation_truncate
  AFTER TRUNCATE ON "change_claims"
  FOR EACH STATEMENT EXECUTE FUNCTION specsync_bump_list_generation_now();
