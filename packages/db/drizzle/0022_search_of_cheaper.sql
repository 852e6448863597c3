-- The same search vectors as 0020, for less CPU (issue #17; docs/performance.md "Search-vector
-- function, session 23 (tsv)"). Every row's vector costs one call of openspec_specs_search_of
-- (import trigger, save fill, background fill, search fallback); measured over a 2,067-change import
-- it was to_tsvector ~65 %, openspec_search_text ~22 % (PostgreSQL 0.81 s of 3.8 s, PGlite 1.45 s
-- of 6.1 s), the rest building the text, SQL-function calls and setweight/||.
--
-- openspec_search_text: same text out for every input. Only a text with `<!--` needs the comment
-- pass, so the rest (88 % of the generated workspace's rows) skips it; that pass now finds the
-- text after the last `-->` with split_part(…, -1) (a byte search) instead of two reverse() of up
-- to 200 KB and character-counted left/substr. A text under 128 bytes cannot hold a 128-character
-- run, so it skips the regexp. No FROM clause: the planner inlines it into its caller instead of
-- planning it again on every call. Still one linear pass per step (0020's tests).
CREATE OR REPLACE FUNCTION openspec_search_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ select case
    when strpos(t, '<!--') = 0 then
      case when octet_length(t) < 128 then t
        else regexp_replace(t, '[^[:space:]]{128}', '\& ', 'g') end
    else regexp_replace(left(t, length(t) - length(split_part(t, '-->', -1))) ||
      replace(split_part(t, '-->', -1), '<!--', '<!- -'), '[^[:space:]]{128}', '\& ', 'g') end $$;
--> statement-breakpoint
-- 0020's expression in PL/pgSQL: its plans are kept for the session and openspec_search_text is
-- inlined into them (as a SQL function with a sub-select argument it ran through the SQL-function
-- executor on every call). Measured with the new openspec_search_text: 2.83 s instead of 3.16 s
-- on PostgreSQL, 5.13 s instead of 5.30 s on PGlite.
CREATE OR REPLACE FUNCTION openspec_specs_search_of(r openspec_specs) RETURNS tsvector
  LANGUAGE plpgsql STABLE
  AS $$
DECLARE
  body text;
BEGIN
  body := left(
    coalesce(r.proposal_content, '') || ' ' || coalesce(r.spec_content, '') || ' ' ||
    coalesce(r.design_content, '') || ' ' || coalesce(r.tasks_content, '') || ' ' ||
    coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(r.delta_specs)), ''), 200000);
  RETURN setweight(to_tsvector('english', openspec_search_text(
      coalesce(r.name, '') || ' ' || coalesce(r.title, ''))), 'A') ||
    setweight(to_tsvector('english', openspec_search_text(body)), 'B');
END $$;
