/**
 * Probe: where `openspec_specs_search_of(row)` spends its CPU, over the rows of an imported
 * database (docs/performance.md "Search-vector function, session 23 (tsv)").
 * `node --import tsx bench/src/search-of-probe.ts <pglite-dir|postgres-db-name> [rounds]`
 * Import first with import-probe.ts (its PGlite data directory is `<dir>/pglite`). Builds scratch
 * copies in schema `tsv_probe` (the row's two texts, cut and not, and their vectors), then runs
 * each variant once per round, interleaved, and prints CPU ms min / median: PostgreSQL's backend
 * (from /proc), or this process for PGlite (its WebAssembly runs in-process).
 */
import { existsSync, readFileSync } from "node:fs";
import { createDb, type Database } from "@specsync/db";
import postgres from "postgres";

const [target = "", roundsArg = "5"] = process.argv.slice(2);
const rounds = Number(roundsArg);
const pglite = existsSync(target);

const textA = "coalesce(r.name, '') || ' ' || coalesce(r.title, '')";
const textB = `left(coalesce(r.proposal_content, '') || ' ' || coalesce(r.spec_content, '') || ' ' ||
  coalesce(r.design_content, '') || ' ' || coalesce(r.tasks_content, '') || ' ' ||
  coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(r.delta_specs)), ''), 200000)`;

const setup = [
  "create schema if not exists tsv_probe",
  `create table if not exists tsv_probe.texts as
     select r.id, ${textA} as a, ${textB} as b from openspec_specs r`,
  `create table if not exists tsv_probe.cut as
     select id, openspec_search_text(a) as a, openspec_search_text(b) as b from tsv_probe.texts`,
  `create table if not exists tsv_probe.vecs as select id, to_tsvector('english', a) as va,
     to_tsvector('english', b) as vb from tsv_probe.cut`,
];

/** Each variant: one statement over all rows. */
const variants: [string, string][] = [
  ["read b (scan baseline)", "select sum(length(b)) from tsv_probe.texts"],
  [
    "build texts (concat + string_agg)",
    `select sum(length(${textA}) + length(${textB})) from openspec_specs r`,
  ],
  [
    "string_agg(jsonb_each_text) alone",
    `select sum(length(coalesce((select string_agg(value, ' ')
       from jsonb_each_text(r.delta_specs)), ''))) from openspec_specs r`,
  ],
  [
    "openspec_search_text(a), (b)",
    "select sum(length(openspec_search_text(a)) + length(openspec_search_text(b))) " +
      "from tsv_probe.texts",
  ],
  [
    "  regexp_replace(b) alone",
    "select sum(length(regexp_replace(b, '[^[:space:]]{128}', '\\& ', 'g'))) from tsv_probe.texts",
  ],
  ["  strpos(reverse(b)) alone", "select sum(strpos(reverse(b), '>--')) from tsv_probe.texts"],
  ["  strpos(b, '<!--') alone", "select sum(strpos(b, '<!--')) from tsv_probe.texts"],
  [
    "to_tsvector(a), (b) (cut texts)",
    "select sum(length(to_tsvector('english', a)) + length(to_tsvector('english', b))) " +
      "from tsv_probe.cut",
  ],
  [
    "setweight + ||",
    "select sum(length(setweight(va, 'A') || setweight(vb, 'B'))) from tsv_probe.vecs",
  ],
  [
    "openspec_specs_search_of(r) (whole)",
    "select sum(length(openspec_specs_search_of(r))) from openspec_specs r",
  ],
];

type Run = (sql: string) => Promise<number>;

async function connect(): Promise<{ run: Run; close: () => Promise<void>; db?: Database }> {
  if (pglite) {
    const db = await createDb({ dataDir: target });
    const run: Run = async (sql) => {
      const c = process.cpuUsage();
      await db.query(sql);
      const d = process.cpuUsage(c);
      return (d.user + d.system) / 1000;
    };
    return { run, close: () => db.close() };
  }
  const sql = postgres(`postgres://postgres@127.0.0.1:5432/${target}`, {
    max: 1,
    onnotice: () => {},
  });
  const [{ pid } = { pid: 0 }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  /** CPU ms (user + sys) of the backend, 10 ms ticks. */
  const cpu = () => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  const run: Run = async (text) => {
    const c = cpu();
    await sql.unsafe(text);
    return cpu() - c;
  };
  return { run, close: () => sql.end() };
}

const { run, close } = await connect();
const extraSetup = process.env.SEARCH_OF_PROBE_SETUP;
if (extraSetup) setup.push(...(JSON.parse(readFileSync(extraSetup, "utf8")) as string[]));
for (const s of setup) await run(s);
const extra = process.env.SEARCH_OF_PROBE_SQL;
if (extra) variants.push(...(JSON.parse(readFileSync(extra, "utf8")) as [string, string][]));
const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
for (let i = 0; i < rounds; i++) {
  // Rotate the order each round so no variant always runs first or after the same neighbour.
  for (let j = 0; j < variants.length; j++) {
    const [n, sql] = variants[(i + j) % variants.length] ?? ["", ""];
    times.get(n)?.push(await run(sql));
  }
}
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`${pglite ? "PGlite" : "PostgreSQL"} ${target}, ${rounds} rounds, load ${load}`);
for (const [n, ts] of times) {
  const s = [...ts].sort((x, y) => x - y);
  const med = s[Math.floor(s.length / 2)] ?? 0;
  console.log(`${n.padEnd(40)} min ${(s[0] ?? 0).toFixed(0)} ms  median ${med.toFixed(0)} ms`);
}
await close();
