-- The text a row's search vector is built from, cut so that `to_tsvector` is linear on every input
-- (outside-test F6). PostgreSQL's text-search parser is quadratic on two kinds of input: a long run
-- of host/file-name characters with `_` in it (`_a` repeated: each `_` restarts a scan to the end of
-- the run; 20,000 chars took 9 s, the 200,000 we index ~20 min) and `<!--` with no `-->` after it
-- (each one scans to the end of the text). So: a space after every 128 characters of a run without
-- whitespace (real text's longest run in our corpus is 116; a longer URL or path is then indexed as
-- its pieces), and every `<!--` after the last `-->` written `<!- -` (same lexemes: an unclosed
-- `<!--` is not a comment either). Both are one linear pass each.
CREATE OR REPLACE FUNCTION openspec_search_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ select regexp_replace(
    left(t, k) || replace(substr(t, k + 1), '<!--', '<!- -'), '[^[:space:]]{128}', '\& ', 'g')
  from (select case when strpos(reverse(t), '>--') = 0 then 0
    else length(t) - strpos(reverse(t), '>--') + 1 end as k) s $$;
--> statement-breakpoint
-- 0014's definition, with the text passed through openspec_search_text.
CREATE OR REPLACE FUNCTION openspec_specs_search_of(r openspec_specs) RETURNS tsvector
  LANGUAGE sql STABLE
  AS $$ select
    setweight(to_tsvector('english', openspec_search_text(
      coalesce(r.name, '') || ' ' || coalesce(r.title, ''))), 'A') ||
    setweight(to_tsvector('english', openspec_search_text(left(
      coalesce(r.proposal_content, '') || ' ' || coalesce(r.spec_content, '') || ' ' ||
      coalesce(r.design_content, '') || ' ' || coalesce(r.tasks_content, '') || ' ' ||
      coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(r.delta_specs)), ''), 200000))),
      'B') $$;
