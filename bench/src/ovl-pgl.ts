import { createDb } from "@specsync/db";
const database = await createDb({ dataDir: "/tmp/ovl-pglb-data" });
const [p] = await database.query<{ id: string }>("select id from projects limit 1");
const ids = (await database.query<{ id: string }>(`select id from openspec_specs where project_id = $1 and kind='change' and not archived and deleted_at is null order by priority_rank, name limit 200`, [p!.id])).map((r) => r.id);
const src = await import("../../packages/api/src/services/overlaps");
const text = (await import("node:fs")).readFileSync("../packages/api/src/services/overlaps.ts", "utf8");
const q = text.slice(text.indexOf("const FOR_CHANGE = `") + 20, text.indexOf("`;", text.indexOf("const FOR_CHANGE")));
for (let k = 0; k < 2; k++) {
  let t = performance.now();
  for (let i = 0; i < 100; i++) await database.query(q, [ids[i]]);
  console.log(`query ${((performance.now() - t) / 100).toFixed(2)} ms`);
  t = performance.now();
  for (let i = 0; i < 100; i++) await database.query("select 1 as x where $1::uuid is not null", [ids[i]]);
  console.log(`trivial ${((performance.now() - t) / 100).toFixed(2)} ms`);
}
const plan = await database.query<Record<string, string>>(`explain (analyze, buffers) ${q.replace("$1::uuid", `'${ids[3]}'::uuid`)}`);
console.log(plan.map((r) => Object.values(r)[0]).join("\n"));
await database.query("prepare ovlfc(uuid) as " + q.replace("$1::uuid", "$1"));
for (let k = 0; k < 2; k++) {
  const t = performance.now();
  for (let i = 0; i < 100; i++) await database.query(`execute ovlfc('${ids[i]}')`);
  console.log(`execute prepared ${((performance.now() - t) / 100).toFixed(2)} ms`);
}
await database.close();
