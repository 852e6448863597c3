-- A list shows each row's last check, which now includes its project's `checked_at` (one stamp
-- per full sync instead of a sync_checks row each): moving it must move the list generation too,
-- as sync_checks' rows did (migration 0007).
CREATE CONSTRAINT TRIGGER projects_checked_list_generation
  AFTER UPDATE OF checked_at ON "projects"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION specsync_bump_list_generation();
