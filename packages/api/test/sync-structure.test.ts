import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The shape docs/architecture.md promises for the sync engine, checked on the source itself.
const SERVICES = path.join(import.meta.dirname, "../src/services");
const FACADE = path.join(SERVICES, "openspec-sync-service.ts");
/** "About 80 lines": long enough for a query builder, short enough to read in one screen. */
const MAX_FUNCTION_LINES = 85;

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(abs);
    return e.name.endsWith(".ts") ? [abs] : [];
  });

const parse = (file: string) =>
  ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);

/** Relative imports of a module (type-only ones included: they couple modules too). */
function importsOf(file: string): { target: string; typeOnly: boolean; names: string[] }[] {
  const out: { target: string; typeOnly: boolean; names: string[] }[] = [];
  for (const node of parse(file).statements) {
    if (!ts.isImportDeclaration(node) && !ts.isExportDeclaration(node)) continue;
    const spec = node.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
    const target = `${path.resolve(path.dirname(file), spec.text)}.ts`;
    const clause = ts.isImportDeclaration(node) ? node.importClause : undefined;
    const typeOnly = ts.isImportDeclaration(node) ? !!clause?.isTypeOnly : node.isTypeOnly;
    const bindings = clause?.namedBindings;
    const names =
      bindings && ts.isNamedImports(bindings) ? bindings.elements.map((e) => e.name.text) : [];
    out.push({ target, typeOnly, names });
  }
  return out;
}

const rel = (file: string) => path.relative(SERVICES, file);
const files = sourceFiles(SERVICES);
const syncModules = files.filter((f) => rel(f).startsWith(`sync${path.sep}`));

describe("services/sync/ structure", () => {
  it("has the modules the architecture names", () => {
    const names = syncModules.map((f) => path.basename(f, ".ts"));
    for (const m of ["types", "plan", "disk", "flush", "store", "reconcile", "bulk", "edits"]) {
      expect(names).toContain(m);
    }
  });

  it("no module of sync/ imports the facade", () => {
    const offenders = syncModules.filter((f) => importsOf(f).some((i) => i.target === FACADE));
    expect(offenders.map(rel)).toEqual([]);
  });

  it("plan.ts is pure: it imports types only", () => {
    const plan = path.join(SERVICES, "sync/plan.ts");
    const valueImports = parse(plan).statements.filter(
      (s) => ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly,
    );
    expect(valueImports.map((s) => s.getText())).toEqual([]);
  });

  it("the engine decides with the planner (no copy of the table elsewhere)", () => {
    const reconcile = importsOf(path.join(SERVICES, "sync/reconcile.ts"));
    const fromPlan = reconcile.filter((i) => i.target === path.join(SERVICES, "sync/plan.ts"));
    expect(fromPlan.flatMap((i) => i.names)).toEqual(
      expect.arrayContaining(["planFolder", "applyFlush", "historiesOf", "planVanished"]),
    );
    // The table's states are decided in plan.ts only (types.ts names them).
    const own = ["sync/plan.ts", "sync/types.ts"].map((f) => path.join(SERVICES, f));
    const asking = files.filter(
      (f) =>
        !own.includes(f) && /"(fs_changed|db_changed|converged)"/.test(readFileSync(f, "utf8")),
    );
    expect(asking.map(rel)).toEqual([]);
  });

  it("no import cycle inside services/", () => {
    const graph = new Map(
      files.map((f) => [
        f,
        importsOf(f)
          .map((i) => i.target)
          .filter((t) => files.includes(t)),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(" → "));
        return;
      }
      state.set(f, "open");
      for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it(`no function in services/ is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long: string[] = [];
    for (const file of files) {
      const src = parse(file);
      const line = (pos: number) => src.getLineAndCharacterOfPosition(pos).line;
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
          const lines = line(node.end) - line(node.getStart()) + 1;
          const name = node.name?.getText() ?? "(anonymous)";
          if (lines > MAX_FUNCTION_LINES) long.push(`${rel(file)} ${name}: ${lines} lines`);
        }
        ts.forEachChild(node, visit);
      };
      visit(src);
    }
    expect(long).toEqual([]);
  });
});
