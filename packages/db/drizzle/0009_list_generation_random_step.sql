-- The list generation moves by a random step, not by one: the cache (list-cache.ts) compares it
-- for equality only, and a counter can go back to a value a running server has cached answers
-- under (failover to a replica that lost the last commits, a restore, a re-created database);
-- counting up again from there would make those answers current. Kept below 2^53 (read as a
-- JS number by the schema's mode).
CREATE OR REPLACE FUNCTION specsync_bump_list_generation() RETURNS trigger AS $$
BEGIN
  -- Once per transaction: a bulk import fires this for every row.
  IF current_setting('specsync.list_generation_bumped', true) = 'y' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('specsync.list_generation_bumped', 'y', true);
  UPDATE list_generation
    SET gen = mod(gen + 1 + floor(random() * 4294967296)::bigint, 9007199254740992)
    WHERE id = 1;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION specsync_bump_list_generation_now() RETURNS trigger AS $$
BEGIN
  UPDATE list_generation
    SET gen = mod(gen + 1 + floor(random() * 4294967296)::bigint, 9007199254740992)
    WHERE id = 1;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
